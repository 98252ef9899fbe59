"""Seam detectors the seam search never sees (it places cuts by the ±46 ms log-mel novelty of
`novelty.py`); they judge a rendered version so the engine's verdict is not graded by the measure
it optimised:

- timbre: the RMS difference (dB) of the mean log-mel spectrum over 0.2 s before and after;
- harmony: 1 - cosine of the mean chroma over the same windows;
- onsets: the summed onset strength within ±0.1 s (a hit doubled or dropped at the cut);
- level: the level step (dB) from 0.4 s before to 0.4 s after;
- ending (a region reaching the song's end): the level of the last second against the
  original's, within the song's own level-step quantile (a final chord and its decay replaced by
  mid-song texture, or cut off).

The first three are robust z-scores against the ORIGINAL at the same beat phase (1/8 beat)
everywhere in the song; each is the largest within ±60 ms of the seam. A seam fails one when the
version's value exceeds both the original's own value at that instant and the song's own
quantile of it (`QUANTILE`, over every instant of the original); the level step fails when it
differs from the original's step there by more than the song's own quantile of |step|. The
quantiles were set on the tuning half of the real-recording benchmark (`benchmarks/run.py
seams`, benchmarks/seams/split.json) for agreement with its independent checker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d

from inpaint_studio.core.audio import Audio
from inpaint_studio.engine.analysis import (
    HOP,
    Analysis,
    analysis_rate_of,
    frame_features,
    onset_strength,
    to_analysis_rate,
)
from inpaint_studio.engine.beats import BeatGrid
from inpaint_studio.engine.window import Window, read

WINDOW = 0.2  # s each side: timbre and harmony
BURST = 0.1  # s each side: onsets
POOL = 0.06  # s: the largest value this close to the seam counts
LEVEL = 0.4  # s each side: level step
BINS = 8
# 0.98 a priori; timbre raised to 0.999 on the tuning half (benchmarks/seams/calibrate.py)
QUANTILE = {"timbre": 0.999, "harmony": 0.98, "onsets": 0.98, "level": 0.98}
KINDS = ("timbre", "harmony", "onsets")


def _sides(x: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of `x` (frames first) over the w frames before each frame and the w from it."""
    c = np.concatenate([np.zeros((1, *x.shape[1:])), np.cumsum(x, axis=0, dtype=np.float64)])
    i = np.arange(len(x))
    lo, hi = np.maximum(i - w, 0), np.minimum(i + w, len(x))
    nb = np.maximum(i - lo, 1).reshape(-1, *([1] * (x.ndim - 1)))
    na = np.maximum(hi - i, 1).reshape(-1, *([1] * (x.ndim - 1)))
    return (c[i] - c[lo]) / nb, (c[hi] - c[i]) / na


def curves(logmel: np.ndarray, chroma: np.ndarray, onset: np.ndarray, rms: np.ndarray,
           dt: float) -> dict[str, np.ndarray]:
    """Per-frame timbre, harmony and onset-burst curves, and the level step (dB)."""
    w = max(1, int(round(WINDOW / dt)))
    b0, b1 = _sides(logmel, w)
    c0, c1 = _sides(chroma, w)
    cos = (c0 * c1).sum(axis=1) / np.maximum(
        np.linalg.norm(c0, axis=1) * np.linalg.norm(c1, axis=1), 1e-12)
    ob = max(1, int(round(BURST / dt)))
    co = np.concatenate([[0.0], np.cumsum(onset, dtype=np.float64)])
    i = np.arange(len(onset))
    burst = co[np.minimum(i + ob + 1, len(onset))] - co[np.maximum(i - ob, 0)]
    lw = max(1, int(round(LEVEL / dt)))
    p0, p1 = _sides((rms.astype(np.float64) ** 2)[:, None], lw)
    step = 10 * np.log10((p1[:, 0] + 1e-10) / (p0[:, 0] + 1e-10))
    return {"timbre": np.sqrt(np.mean((b1 - b0) ** 2, axis=1)), "harmony": 1.0 - cos,
            "onsets": burst, "level": step}  # fmt: skip


def _phase_bins(grid: BeatGrid, t: np.ndarray) -> np.ndarray:
    times = grid.times
    k = np.clip(np.searchsorted(times, t) - 1, 0, len(times) - 2)
    ibi = np.maximum(times[k + 1] - times[k], 1e-6)
    ph = np.clip((t - times[k]) / ibi, 0.0, 0.999)
    return (ph * BINS).astype(int)


@dataclass
class JumpTable:
    """The original song's curves, per-phase references and thresholds (once per song)."""

    grid: BeatGrid
    dt: float
    ref: dict[str, np.ndarray]  # kind -> (BINS, 2): median, sigma
    own_z: dict[str, np.ndarray]  # kind -> the original's pooled z per frame
    step: np.ndarray  # the original's level step per frame
    limit: dict[str, float]

    @classmethod
    def of(cls, an: Analysis, grid: BeatGrid) -> JumpTable:
        dt = an.frame_seconds
        cur = curves(an.logmel, an.chroma, an.onset, an.rms, dt)
        t = np.arange(an.frames) * dt
        bins = _phase_bins(grid, t)
        edge = int(round(WINDOW / dt))
        inner = np.zeros(an.frames, bool)
        inner[edge : an.frames - edge] = True
        pool = max(1, int(round(POOL / dt)))
        ref, own, limit = {}, {}, {}
        for kind in KINDS:
            x = cur[kind]
            table = np.zeros((BINS, 2))
            for b in range(BINS):
                v = x[(bins == b) & inner]
                med = float(np.median(v)) if len(v) else 0.0
                sig = float(np.median(np.abs(v - med))) * 1.4826 if len(v) else 1.0
                table[b] = med, max(sig, 1e-6, 0.05 * abs(med))
            ref[kind] = table
            z = maximum_filter1d((x - table[bins, 0]) / table[bins, 1], 2 * pool + 1,
                                 mode="nearest")  # fmt: skip
            own[kind] = z
            limit[kind] = float(np.quantile(z[inner], QUANTILE[kind])) if inner.any() else 3.0
        step = cur["level"]
        limit["level"] = float(np.quantile(np.abs(step[inner]), QUANTILE["level"])) \
            if inner.any() else 3.0
        return cls(grid, dt, ref, own, step, limit)

    def at(self, version: Audio | Window, t: float) -> dict:
        """The detectors at seam `t` of `version`: {kind: [version, original]}, `failed`."""
        sr = version.sample_rate
        a = max(0, int((t - 1.2) * sr))
        b = min(version.frames, int((t + 1.2) * sr))
        part = Audio(np.ascontiguousarray(read(version, a, b)), sr)
        rate = analysis_rate_of(part)
        logmel, chroma, _, rms = frame_features(to_analysis_rate(part), rate)
        onset = onset_strength(logmel, rate, HOP)
        cur = curves(logmel, chroma, onset, rms, self.dt)
        t0 = a / sr
        ft = t0 + np.arange(len(logmel)) * self.dt
        bins = _phase_bins(self.grid, ft)
        pool = max(1, int(round(POOL / self.dt)))
        i = int(np.clip(round((t - t0) / self.dt), 0, len(logmel) - 1))
        j = int(np.clip(round(t / self.dt), 0, len(self.step) - 1))
        out: dict = {"failed": []}
        for kind in KINDS:
            table = self.ref[kind]
            z = (cur[kind] - table[bins, 0]) / table[bins, 1]
            zv = float(z[max(0, i - pool) : i + pool + 1].max())
            zo = float(self.own_z[kind][j])
            out[kind] = [round(zv, 3), round(zo, 3)]
            if zv > max(self.limit[kind], zo):
                out["failed"].append(kind)
        sv, so = float(cur["level"][i]), float(self.step[j])
        out["level"] = [round(sv, 3), round(so, 3)]
        if abs(sv - so) > self.limit["level"]:
            out["failed"].append("level")
        return out


def tail_level_db(audio: Audio | Window, seconds: float = 1.0) -> float:
    """Level (dB of the mean square, channels mixed) over the song's last `seconds`."""
    n = audio.frames
    tail = read(audio, n - int(seconds * audio.sample_rate), n).astype(np.float64).mean(axis=0)
    return float(10 * np.log10(np.mean(tail * tail) + 1e-10))
