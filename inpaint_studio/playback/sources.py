"""Prepared playback sources: every candidate of a comparison, ready for the audio callback.

A `SourceSet` is built off the audio thread (any thread but the callback's): each `Audio` is
converted once to frame-major float32 at the output's channel count, padded to one common length
plus a short silent tail (so a crossfade may read past the end without a bounds check), and
held together with its gain. The callback then only slices and multiplies these arrays."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from inpaint_studio.core.audio import Audio

TAIL_FRAMES = 4096  # silence after the end of every source; longer than any crossfade


Allocator = Callable[[tuple[int, ...], type], np.ndarray]  # shape, dtype → zero-filled array


def _zeros(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


def prepare(audio: Audio, channels: int, frames: int,
            allocate: Allocator = _zeros) -> np.ndarray:
    """`audio` as a C-contiguous (frames + TAIL_FRAMES, channels) float32 array: the layout of
    an output buffer, so the callback copies rows with no transpose. Mono is duplicated, more
    channels than the output are folded down by averaging. `allocate` makes the (zeroed) array,
    e.g. in memory shared with the audio process."""
    src = audio.samples
    out = allocate((frames + TAIL_FRAMES, channels), np.float32)
    n = min(frames, src.shape[1])
    if src.shape[0] == channels:
        out[:n] = src[:, :n].T
    elif src.shape[0] == 1 or channels == 1:
        out[:n] = src[:, :n].mean(axis=0, dtype=np.float32)[:, None]
    else:
        for c in range(channels):  # fold extra channels onto the output's, round robin
            rows = src[c :: channels, :n]
            out[:n, c] = rows.mean(axis=0, dtype=np.float32)
    return out


class SourceSet:
    """Named prepared sources of one length and rate, with per-source linear gains.

    `names` keep their insertion order (Original first); `index[name]` is the row used by the
    callback. `gains` is written only by the callback (it applies gain commands); read it from
    other threads for display only."""

    def __init__(self, sources: Mapping[str, Audio], channels: int = 2,
                 frames: int | None = None, gains: Mapping[str, float] | None = None,
                 allocate: Allocator = _zeros) -> None:
        if not sources:
            raise ValueError("a SourceSet needs at least one source")
        rates = {a.sample_rate for a in sources.values()}
        if len(rates) != 1:
            raise ValueError(f"sources must share one sample rate, got {sorted(rates)}")
        self.sample_rate = rates.pop()
        self.channels = channels
        self.names: tuple[str, ...] = tuple(sources)
        self.frames = frames if frames is not None else max(a.frames for a in sources.values())
        self.data: tuple[np.ndarray, ...] = tuple(
            prepare(a, channels, self.frames, allocate) for a in sources.values()
        )
        self.index = {name: i for i, name in enumerate(self.names)}
        self.gains = allocate((len(self.names),), np.float64)
        self.gains[:] = 1.0
        for name, g in (gains or {}).items():
            if name in self.index:
                self.gains[self.index[name]] = float(g)

    @classmethod
    def from_arrays(cls, names: tuple[str, ...], data: tuple[np.ndarray, ...],
                    gains: np.ndarray, frames: int, sample_rate: int) -> SourceSet:
        """A set over arrays prepared elsewhere (e.g. mapped from shared memory); no copy."""
        self = cls.__new__(cls)
        self.sample_rate = sample_rate
        self.channels = int(data[0].shape[1])
        self.names = tuple(names)
        self.frames = frames
        self.data = tuple(data)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.gains = gains
        return self

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate

    def __repr__(self) -> str:
        return f"SourceSet({list(self.names)}, {self.duration:.2f} s @ {self.sample_rate} Hz)"
