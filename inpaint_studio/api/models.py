"""Wire ↔ dataclass mapping for `/v1/inpaint` and `/v1/byId`: the request with its validation,
the submit answer, the task with its versions. No I/O here except checking the song file exists."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

GENDERS = ("male", "female", "neutral")


class TaskStatus(str, Enum):
    """Every status the API has documented (PENDING/PROCESSING: legacy pages only), and UNKNOWN
    for anything else, which callers keep polling (with a cap) instead of crashing on."""

    IN_QUEUE = "IN_QUEUE"
    IN_PROGRESS = "IN_PROGRESS"
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    ERROR = "ERROR"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: Any) -> TaskStatus:
        text = str(value or "").strip().upper()
        try:
            return cls(text)
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self in (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.ERROR)

    @property
    def is_failure(self) -> bool:
        return self in (TaskStatus.FAILED, TaskStatus.ERROR)


@dataclass(frozen=True)
class Issue:
    field: str
    message: str
    severity: str = "error"  # "error" blocks sending; "warning" is shown and may be ignored


@dataclass(frozen=True)
class Limits:
    """Documented limits are always errors. The inferred ones (peers' rules, other endpoints'
    caps) are reported with `inferred_severity`, "warning" by default."""

    lyrics_section_max: int = 3000  # documented (OpenAPI maxLength)
    prompt_max: int | None = 1000  # MusicAI FAQ; inferred for inpaint
    lyrics_max: int | None = 5000  # FAQ; older inpaint OpenAPI said 2000
    region_min_s: float | None = 3.0  # peers enforce 3-6 s; the app's region rules warn below 3
    region_max_s: float | None = 60.0
    region_max_fraction: float | None = 0.5  # of the song
    max_upload_bytes: int | None = None  # undocumented; the local server has its own cap
    inferred_severity: str = "warning"


@dataclass
class InpaintRequest:
    """One `POST /v1/inpaint`: exactly one of `audio_path` (uploaded) or `audio_url`."""

    audio_path: str | None = None
    audio_url: str | None = None
    prompt: str = ""
    replace_start_at: float = 0.0
    replace_end_at: float = 0.0
    lyrics: str | None = None
    lyrics_section_to_replace: str | None = None
    gender: str | None = None
    num_outputs: int = 2
    title: str | None = None
    generate_album_cover: bool = False
    lyrics_timestamps: bool = False
    webhook_url: str | None = None

    def validate(self, limits: Limits | None = None, *,
                 song_duration: float | None = None) -> list[Issue]:
        """Every problem found before sending; errors first. `song_duration` (seconds) enables
        the checks against the song's length."""
        limits = limits or Limits()
        out: list[Issue] = []
        err = lambda f, m: out.append(Issue(f, m, "error"))  # noqa: E731
        inf = lambda f, m: out.append(Issue(f, m, limits.inferred_severity))  # noqa: E731
        if bool(self.audio_path) == bool(self.audio_url):
            err("audio_file", "Give either a song file or a song URL (exactly one).")
        if self.audio_path:
            if not os.path.isfile(self.audio_path) or not os.access(self.audio_path, os.R_OK):
                err("audio_file", f"The song file {self.audio_path!r} does not exist or cannot "
                    "be read.")
            elif limits.max_upload_bytes and os.path.getsize(self.audio_path) > \
                    limits.max_upload_bytes:
                inf("audio_file", f"The song file is larger than {limits.max_upload_bytes:,} "
                    "bytes; the server may refuse it. A compressed copy (MP3) uploads faster.")
        if self.audio_url and urlsplit(self.audio_url).scheme not in ("http", "https"):
            err("audio_url", "The song URL must start with http:// or https://.")
        if not (self.prompt or "").strip():
            err("prompt", "Describe how the replaced part should sound (the prompt is required).")
        elif limits.prompt_max and len(self.prompt) > limits.prompt_max:
            inf("prompt", f"The prompt has {len(self.prompt)} characters; keep it under "
                f"{limits.prompt_max}.")
        start, end = self.replace_start_at, self.replace_end_at
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in (start, end)):
            err("replace_start_at", "The region start and end must be numbers of seconds.")
        else:
            self._check_region(start, end, limits, song_duration, err, inf)
        if self.lyrics_section_to_replace and \
                len(self.lyrics_section_to_replace) > limits.lyrics_section_max:
            err("lyrics_section_to_replace", f"The new lyrics have "
                f"{len(self.lyrics_section_to_replace)} characters; the limit is "
                f"{limits.lyrics_section_max}.")
        if self.lyrics and limits.lyrics_max and len(self.lyrics) > limits.lyrics_max:
            inf("lyrics", f"The song lyrics have {len(self.lyrics)} characters; keep them under "
                f"{limits.lyrics_max}.")
        if self.gender is not None and self.gender not in GENDERS:
            err("gender", f"Voice must be one of {', '.join(GENDERS)}, not {self.gender!r}.")
        if self.num_outputs not in (1, 2) or isinstance(self.num_outputs, bool):
            err("num_outputs", "The number of versions must be 1 or 2.")
        if self.webhook_url and urlsplit(self.webhook_url).scheme not in ("http", "https"):
            err("webhook_url", "The webhook URL must start with http:// or https://.")
        return sorted(out, key=lambda i: i.severity != "error")

    @staticmethod
    def _check_region(start: float, end: float, limits: Limits, song: float | None,
                      err: Any, inf: Any) -> None:
        if start < 0:
            err("replace_start_at", "The region cannot start before the song (start < 0).")
        if end <= start:
            err("replace_end_at", f"The region must end after it starts ({start:.2f} s to "
                f"{end:.2f} s).")
            return
        if song is not None and end > song + 1e-3:
            err("replace_end_at", f"The region ends at {end:.2f} s, after the song's end "
                f"({song:.2f} s).")
        length = end - start
        if limits.region_min_s and length < limits.region_min_s:
            inf("replace_end_at", f"The region is {length:.1f} s long; regions shorter than "
                f"{limits.region_min_s:g} s often fail or sound abrupt.")
        if limits.region_max_s and length > limits.region_max_s:
            inf("replace_end_at", f"The region is {length:.1f} s long; keep it under "
                f"{limits.region_max_s:g} s.")
        if song and limits.region_max_fraction and length > song * limits.region_max_fraction:
            inf("replace_end_at", f"The region covers more than "
                f"{limits.region_max_fraction:.0%} of the song.")

    def form_fields(self) -> list[tuple[str, str]]:
        """The text fields as sent (file excluded), in the documented order; empty optional
        fields are left out so the server applies its defaults."""
        pairs: list[tuple[str, str]] = []
        if self.audio_url:
            pairs.append(("audio_url", self.audio_url))
        pairs += [("prompt", self.prompt), ("replace_start_at", _num(self.replace_start_at)),
                  ("replace_end_at", _num(self.replace_end_at))]
        for name in ("lyrics", "lyrics_section_to_replace", "gender", "title", "webhook_url"):
            value = getattr(self, name)
            if value:
                pairs.append((name, str(value)))
        pairs.append(("num_outputs", str(int(self.num_outputs))))
        pairs.append(("generate_album_cover", "true" if self.generate_album_cover else "false"))
        pairs.append(("lyrics_timestamps", "true" if self.lyrics_timestamps else "false"))
        return pairs


def _num(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(float(value))


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def finite_float(value: Any) -> float | None:
    """`value` as a finite float, or None when it is missing, not a number, NaN or infinite
    (what the API sends, and what the local server accepts in a form field)."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


@dataclass
class SubmitResult:
    task_id: str
    conversion_ids: list[str]
    eta: int | None
    credit_estimate: float | None
    status: TaskStatus
    message: str
    raw: dict = field(repr=False)
    is_flagged: bool = False
    reason: str = ""

    @classmethod
    def from_wire(cls, data: dict) -> SubmitResult:
        """Parse a 200 answer of `/v1/inpaint`; ValueError if it has no task id."""
        task_id = _text(data.get("task_id"))
        if not task_id:
            raise ValueError("the answer has no task_id")
        ids = [c for c in (_text(data.get("conversion_id_1")), _text(data.get("conversion_id_2")))
               if c]
        eta = finite_float(data.get("eta"))
        return cls(task_id=task_id, conversion_ids=ids,
                   eta=int(eta) if eta is not None and eta >= 0 else None,
                   credit_estimate=finite_float(data.get("credit_estimate")),
                   status=TaskStatus.parse(data.get("status") or "IN_QUEUE"),
                   message=str(data.get("message") or ""), raw=data,
                   is_flagged=bool(data.get("is_flagged")), reason=str(data.get("reason") or ""))


@dataclass
class TaskVersion:
    index: int  # 1 or 2
    conversion_id: str | None
    mp3_url: str
    wav_url: str | None
    duration: float | None
    title: str | None
    lyrics: str | None
    lyrics_timestamped: list[dict] | None  # [{start, end (ms), text, index}] parsed from JSON
    # The part as MIDI: the local server's extension `conversion_path_midi_N` (session-player
    # versions only; MusicGPT sends no such field).
    midi_url: str | None = None


def parse_timestamped(value: Any) -> list[dict] | None:
    """The `lyrics_timestamped` JSON string (or an already-decoded list) as a list of dicts;
    None when absent or not decodable (it is optional, never fatal)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return None


@dataclass
class Task:
    task_id: str
    status: TaskStatus
    versions: list[TaskVersion]  # only versions that have a result file, in index order
    message: str
    raw: dict = field(repr=False)
    conversion_ids: list[str] = field(default_factory=list)
    status_text: str = ""  # the status exactly as the server sent it
    album_cover_url: str | None = None

    def version(self, conversion_id: str) -> TaskVersion | None:
        return next((v for v in self.versions if v.conversion_id == conversion_id), None)

    @classmethod
    def from_wire(cls, data: Any) -> Task:
        """Parse a byId answer (two-version shape, or the legacy single-conversion shape);
        ValueError when it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("conversion"), dict):
            raise ValueError("the answer has no 'conversion' object")
        conv = data["conversion"]
        versions: list[TaskVersion] = []
        for i in (1, 2):
            path = _text(conv.get(f"conversion_path_{i}"))
            if path:
                versions.append(TaskVersion(
                    index=i, conversion_id=_text(conv.get(f"conversion_id_{i}")), mp3_url=path,
                    wav_url=_text(conv.get(f"conversion_path_wav_{i}")),
                    duration=finite_float(conv.get(f"conversion_duration_{i}")),
                    title=_text(conv.get(f"title_{i}")), lyrics=_text(conv.get(f"lyrics_{i}")),
                    lyrics_timestamped=parse_timestamped(conv.get(f"lyrics_timestamped_{i}")),
                    midi_url=_text(conv.get(f"conversion_path_midi_{i}"))))
        ids = [c for c in (_text(conv.get("conversion_id_1")), _text(conv.get("conversion_id_2")))
               if c]
        legacy_url = _text(conv.get("audio_url"))
        if not versions and legacy_url:  # §3.2 legacy single-conversion shape
            versions.append(TaskVersion(
                index=1, conversion_id=_text(conv.get("conversion_id")), mp3_url=legacy_url,
                wav_url=None, duration=finite_float(conv.get("conversion_duration")),
                title=_text(conv.get("title")), lyrics=_text(conv.get("lyrics")),
                lyrics_timestamped=None))
        if not ids and _text(conv.get("conversion_id")):
            ids = [conv["conversion_id"]]
        task_id = _text(conv.get("task_id")) or ""
        status_text = str(conv.get("status") or "")
        message = _text(conv.get("status_msg")) or _text(conv.get("message")) or ""
        if TaskStatus.parse(status_text) in (TaskStatus.FAILED, TaskStatus.ERROR):
            message = _text(conv.get("message")) or message
        return cls(task_id=task_id, status=TaskStatus.parse(status_text), versions=versions,
                   message=message, raw=data, conversion_ids=ids, status_text=status_text,
                   album_cover_url=_text(conv.get("album_cover_path")))
