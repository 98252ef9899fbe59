"""The min/max peak pyramid a waveform is drawn from (Sonic Visualiser's range summaries).

Level k holds, per channel, the min and max of every run of `BASE * FACTOR**k` samples. Chunks
are written as the decoder's parts produce them, so the waveform can be drawn while a file decodes;
all the work per chunk is a few numpy reductions over that chunk. `envelope` answers "min/max per
pixel column" for any visible range from the coarsest level that is still fine enough; below
`BASE` samples per column `sample_envelope` reduces the visible slice of the audio itself. A lock
guards the arrays because the decoder writes on worker threads while the GUI queries."""

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
    """A growing min/max summary of channel-planar audio, written chunk by chunk.

    Chunks may arrive in any order and from several threads (`write(start, chunk)`: the parts of a
    parallel decode fill the waveform from several places at once); each frame is written once.
    Bins start empty (min +inf, max -inf: the identities of min and max), and a chunk's partial bin
    at either end is merged with what is there, so the result does not depend on the order."""

    def __init__(self, channels: int, sample_rate: int, capacity_frames: int = 0) -> None:
        self.channels = channels
        self.sample_rate = sample_rate
        self._lock = threading.Lock()
        self._frames = 0  # frames written so far, wherever they are
        self._end = 0  # one past the last frame written: the extent the views may show
        self._cap_hint = max(1, capacity_frames // BASE + 1)
        self._mins: list[np.ndarray] = []
        self._maxs: list[np.ndarray] = []
        self._counts: list[int] = []  # bins in use per level (up to the extent)
        self.version = 0  # bumped on every write, so views can skip redundant redraws

    @classmethod
    def from_samples(cls, samples: np.ndarray, sample_rate: int) -> PeakPyramid:
        """A complete pyramid of `samples` (channels, frames)."""
        pyramid = cls(samples.shape[0], sample_rate, samples.shape[1])
        pyramid.append(samples)
        return pyramid

    @property
    def frames(self) -> int:
        """Frames written so far (all parts together): the progress of a decode."""
        return self._frames

    @property
    def end(self) -> int:
        """One past the last frame written; equals `frames` once every gap is filled."""
        return self._end

    @staticmethod
    def bin_frames(level: int) -> int:
        return BASE * FACTOR**level

    # -- building ------------------------------------------------------------------------------
    def append(self, chunk: np.ndarray) -> None:
        """Add the next `chunk` (channels, n) of samples, contiguous with what came before."""
        self.write(self._end, chunk)

    def write(self, start: int, chunk: np.ndarray) -> None:
        """Add `chunk` (channels, n), the samples of frames `[start, start + n)`. Safe to call
        from several threads; chunks may come in any order but must not overlap."""
        if chunk.shape[0] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {chunk.shape[0]}")
        n = chunk.shape[1]
        if n == 0:
            return
        if start < 0:
            raise ValueError(f"a chunk cannot start before frame 0 (got {start})")
        first_bin = start // BASE
        head = min(n, (-start) % BASE)  # frames before the chunk's first whole bin
        body = n - head
        full = body // BASE
        nbins = (start + n - 1) // BASE - first_bin + 1
        mins = np.empty((self.channels, nbins), dtype=np.float32)
        maxs = np.empty((self.channels, nbins), dtype=np.float32)
        i = 0
        if head:
            mins[:, 0] = chunk[:, :head].min(axis=1)
            maxs[:, 0] = chunk[:, :head].max(axis=1)
            i = 1
        if full:
            blocks = chunk[:, head : head + full * BASE].reshape(self.channels, full, BASE)
            np.min(blocks, axis=2, out=mins[:, i : i + full])
            np.max(blocks, axis=2, out=maxs[:, i : i + full])
        if head + full * BASE < n:
            rest = chunk[:, head + full * BASE :]
            mins[:, -1] = rest.min(axis=1)
            maxs[:, -1] = rest.max(axis=1)
        with self._lock:
            self._merge(first_bin, mins, maxs)
            self._frames += n
            self._end = max(self._end, start + n)
            self._build_up(first_bin, first_bin + nbins)
            self.version += 1

    def _level(self, level: int, end: int) -> None:
        """Make sure `level` exists and holds at least `end` bins (new bins empty)."""
        if level == len(self._counts):
            cap = max(16, self._cap_hint // FACTOR**level + 2, end)
            self._mins.append(np.full((self.channels, cap), np.inf, dtype=np.float32))
            self._maxs.append(np.full((self.channels, cap), -np.inf, dtype=np.float32))
            self._counts.append(0)
        have = self._mins[level].shape[1]
        if end > have:
            cap = max(end, int(have * 1.6) + 16)
            for store, empty in ((self._mins, np.inf), (self._maxs, -np.inf)):
                grown = np.full((self.channels, cap), empty, dtype=np.float32)
                grown[:, :have] = store[level]
                store[level] = grown
        self._counts[level] = max(self._counts[level], end)

    def _merge(self, at: int, mins: np.ndarray, maxs: np.ndarray) -> None:
        """Fold bins `[at, at + n)` of level 0 with `mins`/`maxs` (a chunk's partial end bins
        share a bin with its neighbour part)."""
        end = at + mins.shape[1]
        self._level(0, end)
        np.minimum(self._mins[0][:, at:end], mins, out=self._mins[0][:, at:end])
        np.maximum(self._maxs[0][:, at:end], maxs, out=self._maxs[0][:, at:end])

    def _build_up(self, lo: int, hi: int) -> None:
        """Recompute the upper levels over the bins that cover level-0 bins `[lo, hi)`."""
        level = 1
        while True:
            below = self._counts[level - 1]
            if level >= len(self._counts):
                if below <= _TOP_BINS:
                    return
                lo, hi = 0, below  # a new level: summarise everything below it
            lo, hi = lo // FACTOR, -(-min(hi, below) // FACTOR)
            mins = _reduce(self._mins[level - 1][:, lo * FACTOR : min(hi * FACTOR, below)],
                           FACTOR, np.minimum)  # fmt: skip
            maxs = _reduce(self._maxs[level - 1][:, lo * FACTOR : min(hi * FACTOR, below)],
                           FACTOR, np.maximum)  # fmt: skip
            self._level(level, hi)
            self._mins[level][:, lo:hi] = mins
            self._maxs[level][:, lo:hi] = maxs
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
            end = min(float(end), float(self._end))
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
        gaps = mins > maxs  # columns no part has reached yet: drawn flat, at zero
        if gaps.any():
            mins[gaps] = 0.0
            maxs[gaps] = 0.0
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
