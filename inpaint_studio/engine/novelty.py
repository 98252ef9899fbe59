"""The seam-novelty measure shared by the planner (to place cuts) and the metrics (to judge
them): log-mel change across ±46 ms, as a robust z-score against the original song's own
change at every beat at the same beat phase, and the seam gate's limit on it.

`PhaseTable` holds that per-phase reference for a whole song, computed once, so the planner
can score hundreds of candidate instants per seam cheaply; `metrics.seam_z` judges with the
exact per-instant reference (`phase_reference`)."""

from __future__ import annotations

import numpy as np

from inpaint_studio.engine.analysis import Analysis
from inpaint_studio.engine.beats import BeatGrid

HALF = 0.046  # seconds either side of a cut that the novelty measure compares
SEAM_Z_MAX = 3.0
SEAM_Z_OVER_ORIGINAL = 2.0
PHASE_BINS = 64  # ≥ 40 frames per beat at 120 BPM would be finer than needed


def novelty_at(logmel: np.ndarray, t0: float, dt: float, t: float | np.ndarray) -> np.ndarray:
    """Mean |log-mel| difference between the frames centred at t-46 ms and t+46 ms."""
    n = len(logmel)
    fa = np.clip(np.rint((np.asarray(t) - HALF - t0) / dt).astype(int), 0, n - 1)
    fb = np.clip(np.rint((np.asarray(t) + HALF - t0) / dt).astype(int), 0, n - 1)
    return np.abs(logmel[fa] - logmel[fb]).mean(axis=-1)


def seam_limit(z_original: float | np.ndarray) -> float | np.ndarray:
    """The seam gate: a seam's z may reach 3, or the original's own z there + 2."""
    return np.maximum(SEAM_Z_MAX, np.asarray(z_original) + SEAM_Z_OVER_ORIGINAL)


def _phase_of(grid: BeatGrid, t: np.ndarray) -> np.ndarray:
    times = grid.times
    k = np.clip(np.searchsorted(times, t) - 1, 0, len(times) - 2)
    ibi = np.maximum(times[k + 1] - times[k], 1e-6)
    return (t - times[k]) / ibi


def _reference(an: Analysis, grid: BeatGrid, phase: float) -> tuple[float, float]:
    times = grid.times
    dur = an.duration
    inst = times[:-1] + phase * np.diff(times)
    inst = inst[(inst > HALF) & (inst < dur - HALF)]
    vals = novelty_at(an.logmel, 0.0, an.frame_seconds, inst)
    med = float(np.median(vals))
    mad = float(np.median(np.abs(vals - med))) * 1.4826
    return med, max(mad, 1e-6)


def phase_reference(an: Analysis, grid: BeatGrid, t: float) -> tuple[float, float]:
    """(median, MAD-sigma) of the original's novelty at every beat, at t's beat phase."""
    return _reference(an, grid, float(_phase_of(grid, np.asarray(t, dtype=np.float64))))


class PhaseTable:
    """`phase_reference` for one song and grid at PHASE_BINS phases, computed once; looked up
    at the nearest phase (the planner's estimate; the judge uses the exact phase)."""

    def __init__(self, an: Analysis, grid: BeatGrid, bins: int = PHASE_BINS):
        self.an, self.grid, self.bins = an, grid, bins
        ref = np.asarray([_reference(an, grid, i / bins) for i in range(bins)])
        self.med, self.sigma = ref[:, 0], ref[:, 1]

    def _bin(self, t: np.ndarray) -> np.ndarray:
        i = np.rint(_phase_of(self.grid, np.asarray(t, dtype=np.float64)) * self.bins)
        return np.clip(i.astype(int), 0, self.bins) % self.bins

    def z(self, t: np.ndarray, novelty: np.ndarray) -> np.ndarray:
        """z-scores of `novelty` measured at instants `t` (arrays of the same shape)."""
        i = self._bin(t)
        return (np.asarray(novelty) - self.med[i]) / self.sigma[i]

    def own_z(self, t: np.ndarray) -> np.ndarray:
        """The original song's own z at instants `t`: what the seam gate allows for."""
        an = self.an
        return self.z(t, novelty_at(an.logmel, 0.0, an.frame_seconds, t))
