"""Times as a musician reads and types them: `m:ss.mmm` (or `h:mm:ss.mmm` past an hour)."""

from __future__ import annotations

import math
import re

_TIME_RE = re.compile(r"^\s*(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?|\.\d+)\s*$")


def format_time(seconds: float, decimals: int = 3) -> str:
    """`75.5` → `"1:15.500"`; negative times get a leading minus; hours appear only when needed."""
    if not math.isfinite(seconds):
        return "--:--"
    sign = "-" if seconds < 0 else ""
    scale = 10**decimals
    total = round(abs(seconds) * scale)  # round once, so 59.9996 becomes 1:00.000, not 0:60.000
    whole, frac = divmod(total, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f".{frac:0{decimals}d}" if decimals > 0 else ""
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}{tail}"
    return f"{sign}{minutes}:{secs:02d}{tail}"


def parse_time(text: str) -> float:
    """Parse `"1:15.5"`, `"75.5"`, `"0:01:15.500"` into seconds; raises ValueError with a message
    meant for the user when the text is not a time."""
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(f"{text.strip()!r} is not a time; type m:ss.mmm or seconds")
    hours, minutes, seconds = m.groups()
    secs = float(seconds)
    if minutes is not None and secs >= 60:
        raise ValueError(f"{text.strip()!r}: seconds must be below 60 after a minute field")
    if hours is not None and int(minutes) >= 60:
        raise ValueError(f"{text.strip()!r}: minutes must be below 60 after an hour field")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + secs


def tick_decimals(spacing: float) -> int:
    """How many decimals a ruler needs so that ticks `spacing` seconds apart read differently."""
    if spacing >= 1:
        return 0
    return min(6, max(1, math.ceil(-math.log10(spacing) - 1e-9)))
