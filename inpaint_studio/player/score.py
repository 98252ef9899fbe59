"""The figures the player is held to, computed from notes and the harmony they were composed
on: share of note-time on scale tones, share of strong-beat notes on chord tones, and the
largest distance of an onset from the grid (beats and their sixteenth subdivisions)."""

from __future__ import annotations

import bisect

import numpy as np

from inpaint_studio.player.compose import (
    DRUM_CHANNEL,
    Harmony,
    Note,
    chord_pcs,
    is_strong,
    scale_pcs,
)


def _pitched(notes: list[Note]) -> list[Note]:
    return [n for n in notes if n.channel != DRUM_CHANNEL]


def in_key(notes: list[Note], h: Harmony) -> float:
    """Share of the pitched notes' time on tones of the key's scale (1.0 with no notes)."""
    pitched = _pitched(notes)
    total = sum(n.duration for n in pitched)
    if total <= 0:
        return 1.0
    scale = scale_pcs(h.key)
    return sum(n.duration for n in pitched if n.pitch % 12 in scale) / total


def chord_tones_on_strong_beats(notes: list[Note], h: Harmony, tol: float = 0.02,
                                grid: bool = True) -> float:
    """Share of pitched notes starting within `tol` of a strong beat that are tones of that
    beat's chord (1.0 when none starts there). `grid` uses the unhumanised onsets."""
    hits = total = 0
    for n in _pitched(notes):
        t = n.grid_time if grid else n.time
        i = bisect.bisect_left(h.beats, t - tol)
        if i >= len(h.beats) or abs(h.beats[i] - t) > tol:
            continue
        if not is_strong(h.bar_positions[i], h.beats_per_bar):
            continue
        total += 1
        hits += n.pitch % 12 in chord_pcs(h.beat_chords[i], h.key)[1]
    return hits / total if total else 1.0


def grid_points(h: Harmony, per_beat: int = 4) -> np.ndarray:
    b = np.asarray(h.beats, dtype=np.float64)
    if len(b) < 2:
        return b
    steps = np.diff(b)
    pts = [b[:-1] + steps * k / per_beat for k in range(per_beat)]
    return np.sort(np.concatenate([*pts, b[-1:]]))


def max_grid_error(notes: list[Note], h: Harmony, grid: bool = True) -> float:
    """The largest distance (s) of an onset from the nearest sixteenth of the beat grid."""
    if not notes:
        return 0.0
    pts = grid_points(h)
    t = np.asarray([n.grid_time if grid else n.time for n in notes])
    i = np.clip(np.searchsorted(pts, t), 1, len(pts) - 1)
    return float(np.max(np.minimum(np.abs(t - pts[i - 1]), np.abs(t - pts[i]))))
