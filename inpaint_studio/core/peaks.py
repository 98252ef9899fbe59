"""The min/max peak pyramid a waveform is drawn from (Sonic Visualiser's range summaries).

Level k holds, per channel, the min and max of every run of `BASE * FACTOR**k` samples. Chunks
are appended as the decoder produces them, so the waveform can be drawn while a file decodes;
all the work per chunk is a few numpy reductions over that chunk. `envelope` answers "min/max per
pixel column" for any visible range from the coarsest level that is still fine enough; below
`BASE` samples per column `sample_envelope` reduces the visible slice of the audio itself. A lock
guards the arrays because the loader appends on a worker thread while the GUI queries."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

BASE = 256  # samples per bin at level 0
FACTOR = 4  # each level summarises this many bins of the level below
_TOP_BINS = 64  # stop adding levels once the top one has at most this many bins


@dataclass(frozen=True)
class Envelope:
    """Min/max per column. Column i covers frames `[starts[i], starts[i] + span)` (the last one
    may be shorter); `mins`/`maxs` have shape (channels, columns)."""

    starts: np.ndarray  # float64 frame index of each column's first sample
    span: int  # frames per column
    mins: np.ndarray
    maxs: np.ndarray

    @property
    def columns(self) -> int:
        return int(self.starts.shape[0])


class PeakPyramid:
    """A growing min/max summary of channel-planar audio, appended chunk by chunk."""

    def __init__(self, channels: int, sample_rate: int, capacity_frames: int = 0) -> None:
        self.channels = channels
        self.sample_rate = sample_rate
        self._lock = threading.Lock()
        self._frames = 0
        self._tail = np.empty((channels, 0), dtype=np.float32)  # samples of the last partial bin
        self._cap_hint = max(1, capacity_frames // BASE + 1)
        self._mins: list[np.ndarray] = []
        self._maxs: list[np.ndarray] = []
        self._counts: list[int] = []
        self.version = 0  # bumped on every append, so views can skip redundant redraws

    @classmethod
    def from_samples(cls, samples: np.ndarray, sample_rate: int) -> PeakPyramid:
        """A complete pyramid of `samples` (channels, frames)."""
        pyramid = cls(samples.shape[0], sample_rate, samples.shape[1])
        pyramid.append(samples)
        return pyramid

    @property
    def frames(self) -> int:
        return self._frames

    @staticmethod
    def bin_frames(level: int) -> int:
        return BASE * FACTOR**level

    # -- building ------------------------------------------------------------------------------
    def append(self, chunk: np.ndarray) -> None:
        """Add the next `chunk` (channels, n) of samples, contiguous with what came before."""
        if chunk.shape[0] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {chunk.shape[0]}")
        if chunk.shape[1] == 0:
            return
        data = np.concatenate([self._tail, chunk], axis=1) if self._tail.shape[1] else chunk
        first_bin = self._frames // BASE  # the bin the tail (or the chunk) starts in
        n = data.shape[1]
        full = n // BASE
        nbins = -(-n // BASE)
        mins = np.empty((self.channels, nbins), dtype=np.float32)
        maxs = np.empty((self.channels, nbins), dtype=np.float32)
        if full:
            blocks = data[:, : full * BASE].reshape(self.channels, full, BASE)
            np.min(blocks, axis=2, out=mins[:, :full])
            np.max(blocks, axis=2, out=maxs[:, :full])
        if nbins > full:
            rest = data[:, full * BASE :]
            mins[:, full] = rest.min(axis=1)
            maxs[:, full] = rest.max(axis=1)
        with self._lock:
            self._write(0, first_bin, mins, maxs)
            self._tail = np.array(data[:, full * BASE :], dtype=np.float32, copy=True)
            self._frames += chunk.shape[1]
            self._build_up(first_bin)
            self.version += 1

    def _write(self, level: int, at: int, mins: np.ndarray, maxs: np.ndarray) -> None:
        if level == len(self._counts):
            cap = max(16, self._cap_hint // FACTOR**level + 2)
            self._mins.append(np.empty((self.channels, cap), dtype=np.float32))
            self._maxs.append(np.empty((self.channels, cap), dtype=np.float32))
            self._counts.append(0)
        end = at + mins.shape[1]
        if end > self._mins[level].shape[1]:
            cap = max(end, int(self._mins[level].shape[1] * 1.6) + 16)
            for store in (self._mins, self._maxs):
                grown = np.empty((self.channels, cap), dtype=np.float32)
                grown[:, : self._counts[level]] = store[level][:, : self._counts[level]]
                store[level] = grown
        self._mins[level][:, at:end] = mins
        self._maxs[level][:, at:end] = maxs
        self._counts[level] = end

    def _build_up(self, changed_from: int) -> None:
        """Recompute the upper levels from the bins of level 0 at and after `changed_from`."""
        level = 1
        start = changed_from
        while True:
            below = self._counts[level - 1]
            if level >= len(self._counts):
                if below <= _TOP_BINS:
                    return
                start = 0  # a new level: summarise everything below it
            else:
                start //= FACTOR
            lo = start * FACTOR
            mins = _reduce(self._mins[level - 1][:, lo:below], FACTOR, np.minimum)
            maxs = _reduce(self._maxs[level - 1][:, lo:below], FACTOR, np.maximum)
            self._write(level, start, mins, maxs)
            level += 1

    # -- queries ---------------------------------------------------------------------------------
    def envelope(self, start: float, end: float, columns: int) -> Envelope | None:
        """Min/max per column over frames `[start, end)`, with at most about `columns` columns,
        each a whole number of bins of the coarsest level whose bins are no wider than a column.
        Columns sit on a fixed grid so that panning does not make the waveform shimmer. None
        when the range holds no audio."""
        columns = max(1, int(columns))
        with self._lock:
            if not self._counts:
                return None
            start = max(0.0, float(start))
            end = min(float(end), float(self._frames))
            if end <= start:
                return None
            per_col = (end - start) / columns
            level = 0
            while level + 1 < len(self._counts) and self.bin_frames(level + 1) <= per_col:
                level += 1
            size = self.bin_frames(level)
            group = max(1, int(np.ceil(per_col / size - 1e-9)))  # never more columns than asked
            b0 = int(start // size) // group * group
            b1 = -(-int(np.ceil(end)) // size)
            b1 = min(b0 + -(-(b1 - b0) // group) * group, self._counts[level])  # whole columns
            mins = _reduce(self._mins[level][:, b0:b1], group, np.minimum)
            maxs = _reduce(self._maxs[level][:, b0:b1], group, np.maximum)
        starts = (b0 + np.arange(mins.shape[1], dtype=np.float64) * group) * size
        return Envelope(starts, size * group, mins, maxs)


def sample_envelope(samples: np.ndarray, start: float, end: float, columns: int) -> Envelope | None:
    """Min/max per column straight from `samples` (channels, frames), touching only the visible
    slice; used when a column is narrower than a level-0 bin. None when the range is empty."""
    frames = samples.shape[1]
    start = max(0.0, float(start))
    end = min(float(end), float(frames))
    if end <= start:
        return None
    group = max(1, int(np.ceil((end - start) / max(1, int(columns)) - 1e-9)))
    f0 = int(start) // group * group
    f1 = min(f0 + -(-(int(np.ceil(end)) - f0) // group) * group, frames)  # whole columns
    view = samples[:, f0:f1]
    mins = _reduce(view, group, np.minimum)
    maxs = _reduce(view, group, np.maximum)
    starts = f0 + np.arange(mins.shape[1], dtype=np.float64) * group
    return Envelope(starts, group, mins, maxs)


def _reduce(arr: np.ndarray, group: int, op: np.ufunc) -> np.ndarray:
    """Reduce each run of `group` columns of `arr` with `op` (the last run may be short)."""
    if group == 1:
        return np.array(arr, dtype=np.float32, copy=True)
    n = arr.shape[1]
    full = n // group
    out = np.empty((arr.shape[0], -(-n // group)), dtype=np.float32)
    if full:
        op.reduce(arr[:, : full * group].reshape(arr.shape[0], full, group), axis=2,
                  out=out[:, :full])
    if n > full * group:
        out[:, full] = op.reduce(arr[:, full * group :], axis=1)
    return out
