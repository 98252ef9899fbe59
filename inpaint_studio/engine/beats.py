"""Tempo and beat tracking on the onset envelope: tempo from its autocorrelation (with a broad
prior around 120 BPM), beats by dynamic programming (Ellis 2007), and a confidence so beatless
music can be handed to the frame-level fallback instead of a grid that is not there."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inpaint_studio.core.rhythm import dp_beats
from inpaint_studio.engine.analysis import Analysis


@dataclass
class BeatGrid:
    """Beat instants (s), the global period (s) and how beat-like the music is (0..1+)."""

    times: np.ndarray
    period: float
    strength: float  # onset energy on beats vs between them; < ~1.3 means no usable beat
    steady: bool
    fallback: bool = False  # True when `times` is a fixed grid, not tracked beats

    def ibi_at(self, t: float) -> float:
        """Local inter-beat interval near `t`."""
        if len(self.times) < 2:
            return self.period
        k = int(np.clip(np.searchsorted(self.times, t) - 1, 0, len(self.times) - 2))
        return float(self.times[k + 1] - self.times[k])


def estimate_period(onset: np.ndarray, frame_s: float) -> tuple[float, float]:
    """(period in frames, peak height 0..1) from the onset autocorrelation, 40–240 BPM."""
    x = onset - onset.mean()
    n = len(x)
    if n < 16 or not np.any(x):
        return 0.5 / frame_s, 0.0
    nfft = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, nfft)
    ac = np.fft.irfft(spec * np.conj(spec), nfft)[:n]
    ac /= max(ac[0], 1e-12)
    lags = np.arange(n) * frame_s
    bpm = 60.0 / np.maximum(lags, 1e-9)
    valid = (bpm >= 40) & (bpm <= 240)
    prior = np.exp(-0.5 * (np.log2(np.maximum(bpm, 1e-9) / 120.0) / 0.9) ** 2)
    score = np.where(valid, ac * prior, -np.inf)
    lag = int(np.argmax(score))
    if 0 < lag < n - 1:  # parabolic refinement
        a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
        denom = a - 2 * b + c
        frac = 0.5 * (a - c) / denom if denom < 0 else 0.0
        return lag + float(np.clip(frac, -0.5, 0.5)), float(ac[lag])
    return float(max(lag, 1)), float(ac[lag])


def track_beats(onset: np.ndarray, period: float, tightness: float = 100.0) -> np.ndarray:
    """Beat frames maximising onset strength plus a log-interval regularity score (Ellis 2007)."""
    if len(onset) == 0:
        return np.zeros(0, int)
    o = onset / max(float(onset.std()), 1e-9)
    lo, hi = max(1, int(round(period / 2))), max(2, int(round(2 * period)))
    return dp_beats(o, period, lo, hi, tightness)


def fixed_grid(duration: float, step: float) -> np.ndarray:
    """A constant grid of pseudo-beats for music with no usable beat."""
    return np.arange(0.0, duration + step, step)


def beat_grid(an: Analysis, fallback_step: float = 0.35) -> BeatGrid:
    """Track beats; when the beat is weak, return a fixed grid marked `fallback`."""
    frame_s = an.frame_seconds
    duration = an.duration
    period, peak = estimate_period(an.onset, frame_s)
    frames = track_beats(an.onset, period)
    times = frames * frame_s
    strength = 0.0
    steady = False
    if len(frames) >= 8:
        on = an.onset
        mid = ((frames[:-1] + frames[1:]) // 2).astype(int)
        near = np.maximum.reduce([on[np.clip(frames + d, 0, len(on) - 1)] for d in (-1, 0, 1)])
        strength = float(near.mean() / max(float(on[mid].mean()), 1e-9))
        ibi = np.diff(times)
        steady = bool(np.median(np.abs(ibi - np.median(ibi))) < 0.04 * np.median(ibi))
    usable = len(frames) >= 8 and strength >= 1.5 and peak > 0.05
    if not usable:
        return BeatGrid(fixed_grid(duration, fallback_step), fallback_step, strength, False, True)
    # fill the song's head and tail with the grid's own period so every instant has a beat
    p = float(np.median(np.diff(times)))
    head = np.arange(times[0] - p, -1e-9, -p)[::-1]
    tail = np.arange(times[-1] + p, duration + p, p)
    return BeatGrid(np.concatenate([head, times, tail]), p, strength, steady)
