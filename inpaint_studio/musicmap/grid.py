"""Bars and beats as a musician types and reads them, on a song's `MusicMap`: snapping a time
to the nearest beat or bar line, "33.1" (bar 33, beat 1) ↔ seconds, and "4 bars" / "6 beats" as
a length from a start. Without a beat grid (`steady_beat` False) nothing snaps and bar input is
refused: no grid is invented."""

from __future__ import annotations

import bisect
import re

from inpaint_studio.musicmap.model import MusicMap

_POSITION = re.compile(r"^\s*(\d+)\s*\.\s*(\d+)\s*$")
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(bars?|beats?)\s*$", re.IGNORECASE)


class NoGrid(ValueError):
    """The song has no beat grid, or the position is outside it."""


def snap(m: MusicMap, t: float, unit: str = "beat") -> float:
    """The beat (unit "beat") or bar line ("bar") nearest to `t`; `t` itself without a grid."""
    grid = m.beats if unit == "beat" else m.downbeats
    if not grid:
        return t
    i = bisect.bisect_left(grid, t)
    near = grid[max(0, i - 1) : i + 1]
    return min(near, key=lambda g: abs(g - t))


def bar_time(m: MusicMap, bar: int, beat: int = 1) -> float:
    """Seconds of `bar`.`beat` (both from 1). Raises NoGrid outside the song's bars."""
    if not m.downbeats or bar < 1 or bar > len(m.downbeats) or beat < 1:
        raise NoGrid(f"there is no bar {bar} in this song")
    i = m.beats.index(m.downbeats[bar - 1]) + beat - 1
    end = m.beats.index(m.downbeats[bar]) if bar < len(m.downbeats) else len(m.beats)
    if i >= end:
        raise NoGrid(f"bar {bar} has no beat {beat}")
    return m.beats[i]


def parse_position(m: MusicMap, text: str) -> float:
    """"33.1" → seconds of bar 33, beat 1. Raises ValueError for other text, NoGrid where the
    song has no such bar."""
    match = _POSITION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a bar.beat position such as 33.1")
    return bar_time(m, int(match.group(1)), int(match.group(2)))


def parse_length(m: MusicMap, text: str, start: float) -> float:
    """"4 bars" / "6 beats" → seconds from `start` (snapped to the beat grid) to that many bars
    or beats later, following the song's own (possibly drifting) beats."""
    match = _LENGTH.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a length such as '4 bars' or '6 beats'")
    count, unit = float(match.group(1)), match.group(2).lower()
    if not m.beats:
        raise NoGrid("this song has no steady beat")
    per_bar = m.beats_per_bar or 4
    steps = count * (per_bar if unit.startswith("bar") else 1)
    first = m.beats.index(snap(m, start, "beat"))
    k, frac = first + int(steps), steps - int(steps)
    if k + (1 if frac else 0) >= len(m.beats):
        raise NoGrid("that reaches past the song's last beat")
    end = m.beats[k] + frac * (m.beats[k + 1] - m.beats[k]) if frac else m.beats[k]
    return end - m.beats[first]


def format_position(m: MusicMap, t: float) -> str | None:
    """"33.1" for the beat at or before `t`; None before the first bar or without a grid."""
    where = m.bar_of(t)
    return None if where is None else f"{where[0]}.{where[1]}"
