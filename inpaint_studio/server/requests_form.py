"""Reading and checking a `/v1/inpaint` request body (multipart, urlencoded or JSON) the way the
real service is documented or inferred to: required fields, the replace range, lyric limits,
the gender enum, 1 or 2 outputs. Produces a clean request dict or a list of field problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from inpaint_studio.api.models import GENDERS, finite_float

TEXT_FIELDS = ("audio_url", "prompt", "lyrics", "lyrics_section_to_replace", "gender", "title",
               "webhook_url")
LYRICS_SECTION_MAX = 3000


@dataclass
class Parsed:
    values: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # → the documented "required" 422
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, message) → 422


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    return None


def parse_fields(raw: dict[str, Any], has_file: bool, *, region_min_s: float,
                 region_max_s: float | None) -> Parsed:
    """Check every field of one request; `raw` holds the text values as received."""
    out = Parsed()
    v = out.values
    for name in TEXT_FIELDS:
        value = raw.get(name)
        v[name] = str(value).strip() if value is not None and str(value).strip() else None
    if not v["prompt"]:
        out.missing.append("prompt")
    if not (has_file or v["audio_url"]):
        out.missing.append("audio_file")
    for name in ("replace_start_at", "replace_end_at"):
        if raw.get(name) in (None, ""):
            out.missing.append(name)
            continue
        v[name] = finite_float(raw.get(name))
        if v[name] is None:
            out.problems.append((name, f"{name} must be a number of seconds"))
    start, end = v.get("replace_start_at"), v.get("replace_end_at")
    if start is not None and end is not None:
        if start < 0 or end <= start:
            out.problems.append(("replace_end_at", "replace_end_at must be after "
                                 "replace_start_at, and both must be >= 0"))
        elif end - start < region_min_s:
            out.problems.append(("replace_end_at", f"the replace range must be at least "
                                 f"{region_min_s:g} s long"))
        elif region_max_s and end - start > region_max_s:
            out.problems.append(("replace_end_at", f"the replace range must be at most "
                                 f"{region_max_s:g} s long"))
    if v["lyrics_section_to_replace"] and len(v["lyrics_section_to_replace"]) > \
            LYRICS_SECTION_MAX:
        out.problems.append(("lyrics_section_to_replace", "lyrics_section_to_replace must be at "
                             f"most {LYRICS_SECTION_MAX} characters"))
    if v["gender"] is not None and v["gender"] not in GENDERS:
        out.problems.append(("gender", "gender must be one of male, female, neutral"))
    outputs = finite_float(raw.get("num_outputs", 2) if raw.get("num_outputs") not in (None, "")
                           else 2)
    if outputs not in (1.0, 2.0):
        out.problems.append(("num_outputs", "num_outputs must be 1 or 2"))
    else:
        v["num_outputs"] = int(outputs)
    for name in ("generate_album_cover", "lyrics_timestamps"):
        flag = _bool(raw.get(name, False))
        if flag is None:
            out.problems.append((name, f"{name} must be true or false"))
        v[name] = bool(flag)
    for name in ("audio_url", "webhook_url"):
        if v[name] and urlsplit(v[name]).scheme not in ("http", "https"):
            out.problems.append((name, f"{name} must be an http(s) URL"))
    return out
