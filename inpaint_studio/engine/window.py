"""A stretch of a full-length version held in memory, read by the song's own frame numbers.

A version differs from the song only between its outer seams, so the engine renders and judges
that stretch (the fill plus a few seconds either side) instead of a whole copy of the song: a
10-minute stereo song is 210 MB of float32, and every full copy would be another 210 MB.
`read(x, a, b)` gives frames [a, b) of either a plain `Audio` or a `Window`, so the measures
(metrics, jumps, slice features) take both."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inpaint_studio.core.audio import Audio


@dataclass
class Window:
    """Frames [start, start + samples.shape[1]) of a song of `total` frames."""

    samples: np.ndarray  # (channels, n) float32
    sample_rate: int
    start: int
    total: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        """The whole song's length in frames (not the window's)."""
        return self.total

    @property
    def duration(self) -> float:
        return self.total / self.sample_rate


def read(x: Audio | Window, a: int, b: int) -> np.ndarray:
    """Frames [a, b) of `x` (clipped to the song); a Window raises ValueError when they lie
    outside what it holds (a measure reaching further than the window was cut for)."""
    a, b = max(0, int(a)), min(x.frames, int(b))
    if isinstance(x, Audio):
        return x.samples[:, a:b]
    if b <= a:
        return x.samples[:, :0]
    lo, hi = a - x.start, b - x.start
    if lo < 0 or hi > x.samples.shape[1]:
        raise ValueError(f"frames {a}–{b} lie outside the window {x.start}–"
                         f"{x.start + x.samples.shape[1]}")
    return x.samples[:, lo:hi]
