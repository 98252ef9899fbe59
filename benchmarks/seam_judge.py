"""An independent seam checker: does a take (a version of a song on the song's own timeline, and
its seam instants) have seams a listener would hear? Written apart from the engine — it imports
nothing from `inpaint_studio.engine` and shares none of its code — so the engine's own verdict
can be checked against it (`benchmarks/run.py seams`).

At every seam it measures, on the version and on the ORIGINAL at the same instant:

- timbre jump: RMS difference (dB) of the mean log spectrum (48 log-spaced bands, 60 Hz–10 kHz)
  over 0.2 s before and after the instant;
- harmony jump: 1 - cosine of the mean 12-bin chroma over the same two windows;
- onset burst: summed positive spectral flux within ±0.1 s (a doubled or dropped hit);
- beat-phase shift: the circular difference (ms) of the onset phase at the song's beat period
  over 3 s before and 3 s after the instant (judged only where the original's onsets on both
  sides are concentrated on a beat: resultant length ≥ 0.35);
- level step: the change of level (high-passed mean square, dB) from 0.4 s before to 0.4 s after.

The three novelty measures are robust z-scores against the original at the same beat phase
everywhere else in the song (the judge's own period from the onset autocorrelation, 1/8-beat
bins); each value is the largest within ±60 ms of the seam. A seam fails a measure when the
version's value exceeds both the original's own value at that instant and the song's own
threshold: the 98th percentile of that measure over every instant of the ORIGINAL song (for the
level step, of |step| over the song; for the beat phase, the 95th percentile of the shift where
the beat is steady, at least 20 ms). Nothing here was tuned to make the engine pass: the only
constants are those quantiles and the window lengths above, fixed before the first run.

An ending replaced by a region that reaches the song's end is also judged: the version's level
over the last second must be within the level threshold of the original's.

Use: `judge(original, version, seams, rate)` with channel-planar float arrays, or
`SongStats.of(original, rate)` once per song and `judge(..., stats=...)`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly

SR = 22050
NFFT = 2048
HOP = 256
DT = HOP / SR
NOV_WIN = 0.2  # s each side, timbre and harmony
ONSET_WIN = 0.1  # s each side, onset burst
POOL = 0.06  # s: the largest value within ±POOL of a seam counts
PHASE_WIN = 3.0
STEADY_R = 0.35
LEVEL_WIN = 0.4
Q_NOVELTY = 0.98
Q_PHASE = 0.95
PHASE_FLOOR_MS = 20.0
PHASE_BINS = 8
MEASURES = ("timbre", "harmony", "onset")


def to_mono22(x: np.ndarray, rate: int) -> np.ndarray:
    """Channel-planar (or mono) samples → mono float64 at 22.05 kHz."""
    x = np.asarray(x, np.float64)
    mono = x.mean(axis=0) if x.ndim == 2 else x
    if rate == SR:
        return mono
    g = np.gcd(int(rate), SR)
    return resample_poly(mono, SR // g, int(rate) // g)


def _bank() -> tuple[np.ndarray, np.ndarray]:
    freqs = np.fft.rfftfreq(NFFT, 1 / SR)
    edges = np.geomspace(60.0, 10000.0, 50)
    bands = np.zeros((len(freqs), 48))
    for b in range(48):
        lo, mid, hi = edges[b], edges[b + 1], edges[min(b + 2, 49)]
        up = (freqs - lo) / max(mid - lo, 1e-9)
        down = (hi - freqs) / max(hi - mid, 1e-9)
        bands[:, b] = np.clip(np.minimum(up, down), 0, None)
    bands[:, bands.sum(axis=0) == 0] = 0
    chroma = np.zeros((len(freqs), 12))
    ok = (freqs >= 55.0) & (freqs <= 5000.0)
    pc = np.round(12 * np.log2(freqs[ok] / 440.0)).astype(int) % 12
    chroma[np.nonzero(ok)[0], pc] = 1.0
    return bands, chroma


_BANDS, _CHROMA = _bank()


def features(mono: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log bands dB, chroma, onset flux) per frame; frame i covers samples [i*HOP, i*HOP+NFFT),
    its time is i*HOP/SR + NFFT/2/SR."""
    n = 1 + max(0, len(mono) - NFFT) // HOP
    if len(mono) < NFFT:
        mono = np.pad(mono, (0, NFFT - len(mono)))
    view = np.lib.stride_tricks.sliding_window_view(mono, NFFT)[::HOP][:n]
    win = np.hanning(NFFT)
    logb = np.empty((n, 48))
    chroma = np.empty((n, 12))
    for s in range(0, n, 4096):
        p = np.abs(np.fft.rfft(view[s : s + 4096] * win, axis=1)) ** 2
        logb[s : s + len(p)] = 10 * np.log10(p @ _BANDS + 1e-10)
        c = p @ _CHROMA
        chroma[s : s + len(p)] = c / np.maximum(c.sum(axis=1, keepdims=True), 1e-12)
    logb = np.maximum(logb, -90.0)
    flux = np.concatenate([[0.0], np.maximum(0.0, np.diff(logb, axis=0)).mean(axis=1)])
    return logb, chroma, flux


def _window_means(x: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of x over the w frames before each frame and the w frames from it (edge frames
    use what exists)."""
    c = np.concatenate([np.zeros((1,) + x.shape[1:]), np.cumsum(x, axis=0)])
    i = np.arange(len(x))
    lo, hi = np.maximum(i - w, 0), np.minimum(i + w, len(x))
    before = (c[i] - c[lo]) / np.maximum(i - lo, 1)[:, None] if x.ndim == 2 else \
        (c[i] - c[lo]) / np.maximum(i - lo, 1)
    after = (c[hi] - c[i]) / np.maximum(hi - i, 1)[:, None] if x.ndim == 2 else \
        (c[hi] - c[i]) / np.maximum(hi - i, 1)
    return before, after


def novelty(logb: np.ndarray, chroma: np.ndarray, flux: np.ndarray) -> dict[str, np.ndarray]:
    """The three novelty curves, one value per frame."""
    w = int(round(NOV_WIN / DT))
    b0, b1 = _window_means(logb, w)
    timbre = np.sqrt(np.mean((b1 - b0) ** 2, axis=1))
    c0, c1 = _window_means(chroma, w)
    cos = (c0 * c1).sum(axis=1) / np.maximum(
        np.linalg.norm(c0, axis=1) * np.linalg.norm(c1, axis=1), 1e-12)
    ow = int(round(ONSET_WIN / DT))
    cf = np.concatenate([[0.0], np.cumsum(flux)])
    i = np.arange(len(flux))
    onset = cf[np.minimum(i + ow + 1, len(flux))] - cf[np.maximum(i - ow, 0)]
    return {"timbre": timbre, "harmony": 1.0 - cos, "onset": onset}


def _pool_max(x: np.ndarray, r: int) -> np.ndarray:
    from scipy.ndimage import maximum_filter1d

    return maximum_filter1d(x, 2 * r + 1, mode="nearest")


def beat_period(flux: np.ndarray) -> float:
    """The song's beat period (s) from the onset autocorrelation, 60–180 BPM, mildly
    preferring 120 BPM."""
    o = flux - flux.mean()
    n = len(o)
    f = np.fft.rfft(o, 2 * n)
    ac = np.fft.irfft(np.abs(f) ** 2)[:n]
    lags = np.arange(int(0.333 / DT), int(1.0 / DT) + 1)
    lags = lags[lags < n]
    prior = np.exp(-0.5 * (np.log2(lags * DT / 0.5) / 0.7) ** 2)
    return float(lags[int(np.argmax(ac[lags] * prior))] * DT)


def _hp_power(mono: np.ndarray) -> np.ndarray:
    # a first-order high-pass at ~100 Hz, so rumble does not set the level
    a = np.exp(-2 * np.pi * 100 / SR)
    from scipy.signal import lfilter

    y = lfilter([1, -1], [1, -a], mono)
    return y * y


def _level_step_curve(power: np.ndarray) -> np.ndarray:
    """Level after minus level before (dB, LEVEL_WIN each side) at each frame centre."""
    c = np.concatenate([[0.0], np.cumsum(power)])
    w = int(LEVEL_WIN * SR)
    centres = np.arange(0, len(power), HOP) + NFFT // 2
    lo = np.clip(centres - w, 0, len(power))
    mid = np.clip(centres, 0, len(power))
    hi = np.clip(centres + w, 0, len(power))
    before = (c[mid] - c[lo]) / np.maximum(mid - lo, 1)
    after = (c[hi] - c[mid]) / np.maximum(hi - mid, 1)
    return 10 * np.log10((after + 1e-10) / (before + 1e-10))


def _phase(flux: np.ndarray, t0: float, t1: float, period: float, f0: int = 0
           ) -> tuple[float, float]:
    """(onset phase angle, resultant length) of onset peaks between t0 and t1 (s, on the frame
    timeline starting at frame f0), weighted by strength squared."""
    times = (np.arange(len(flux)) + f0) * DT + NFFT / 2 / SR
    peak = np.zeros(len(flux), bool)
    peak[1:-1] = (flux[1:-1] > flux[:-2]) & (flux[1:-1] >= flux[2:])
    sel = peak & (times >= t0) & (times < t1)
    w = flux[sel] ** 2
    if w.sum() <= 1e-12:
        return 0.0, 0.0
    v = np.sum(w * np.exp(2j * np.pi * times[sel] / period)) / w.sum()
    return float(np.angle(v)), float(abs(v))


def _phase_shift(flux: np.ndarray, t: float, period: float, f0: int = 0
                 ) -> tuple[float, float]:
    """(|phase after - phase before| in ms, min resultant length of the two sides) at t."""
    a, ra = _phase(flux, t - PHASE_WIN, t, period, f0)
    b, rb = _phase(flux, t, t + PHASE_WIN, period, f0)
    d = np.angle(np.exp(1j * (b - a)))
    return abs(float(d)) / (2 * np.pi) * period * 1000.0, min(ra, rb)


@dataclass
class SongStats:
    """The ORIGINAL song's own statistics: its beat period, per-phase-bin medians and spreads of
    each novelty measure, the thresholds, and the original's curves for comparison."""

    duration: float
    period: float
    ref: dict[str, np.ndarray]  # measure -> (PHASE_BINS, 2) median, sigma
    thresholds: dict[str, float]
    zcurves: dict[str, np.ndarray]  # original's pooled z per frame
    step: np.ndarray  # original's level step per frame
    flux: np.ndarray
    power_tail: float  # original's level over its last second (dB)

    @classmethod
    def of(cls, original: np.ndarray, rate: int) -> SongStats:
        mono = to_mono22(original, rate)
        logb, chroma, flux = features(mono)
        nov = novelty(logb, chroma, flux)
        period = beat_period(flux)
        times = np.arange(len(flux)) * DT + NFFT / 2 / SR
        bins = (np.floor((times % period) / period * PHASE_BINS)).astype(int) % PHASE_BINS
        edge = int(round(NOV_WIN / DT))
        inner = np.zeros(len(flux), bool)
        inner[edge:-edge] = True
        ref, zc, th = {}, {}, {}
        pool = int(round(POOL / DT))
        for k in MEASURES:
            x = nov[k]
            table = np.zeros((PHASE_BINS, 2))
            for b in range(PHASE_BINS):
                v = x[(bins == b) & inner]
                med = float(np.median(v)) if len(v) else 0.0
                mad = float(np.median(np.abs(v - med))) * 1.4826 if len(v) else 1.0
                table[b] = med, max(mad, 1e-6, 0.05 * abs(med))
            ref[k] = table
            z = (x - table[bins, 0]) / table[bins, 1]
            zc[k] = _pool_max(z, pool)
            th[k] = float(np.quantile(zc[k][inner], Q_NOVELTY))
        power = _hp_power(mono)
        step = _level_step_curve(power)[: len(flux)]
        th["level_db"] = float(np.quantile(np.abs(step[inner[: len(step)]]), Q_NOVELTY))
        # beat phase: the song's own shift wherever its beat is steady, every quarter second
        shifts = []
        for t in np.arange(PHASE_WIN, times[-1] - PHASE_WIN, 0.25):
            s, r = _phase_shift(flux, t, period)
            if r >= STEADY_R:
                shifts.append(s)
        th["phase_ms"] = max(PHASE_FLOOR_MS, float(np.quantile(shifts, Q_PHASE))
                             if shifts else PHASE_FLOOR_MS)
        tail = power[-SR:]
        return cls(len(mono) / SR, period, ref, th, zc, step, flux,
                   float(10 * np.log10(tail.mean() + 1e-10)))

    def z_at(self, measure: str, curve: np.ndarray, f0: int) -> np.ndarray:
        """z-scores of a novelty curve starting at frame f0, against the same phase bin."""
        times = (np.arange(len(curve)) + f0) * DT + NFFT / 2 / SR
        bins = (np.floor((times % self.period) / self.period * PHASE_BINS)).astype(int) \
            % PHASE_BINS
        t = self.ref[measure]
        return (curve - t[bins, 0]) / t[bins, 1]


def judge(original: np.ndarray, version: np.ndarray, seams: list[float], rate: int,
          stats: SongStats | None = None) -> dict:
    """The verdict on one take: per seam, each measure on the version and on the original at
    the same instant, the song's threshold, and which measures fail; `passed` overall."""
    stats = stats or SongStats.of(original, rate)
    dur = stats.duration
    out_seams = []
    pool = int(round(POOL / DT))
    for t in seams:
        t = float(t)
        if t < 0.3 or t > dur - 0.3:  # the song's own edges are not seams
            continue
        # the version's features on a window around t, framed exactly like the original's
        f0 = max(0, int(round((t - PHASE_WIN - 1.0) / DT)))
        f1 = int(round((t + PHASE_WIN + 1.0) / DT))
        a = f0 * HOP * rate // SR
        b = min(version.shape[-1], (f1 * HOP + NFFT) * rate // SR)
        mono = to_mono22(version[..., a:b], rate)
        logb, chroma, flux = features(mono)
        nov = novelty(logb, chroma, flux)
        i = int(round((t - NFFT / 2 / SR) / DT)) - f0
        row: dict = {"t": round(t, 3), "failed": []}
        for k in MEASURES:
            z = _pool_max(stats.z_at(k, nov[k], f0), pool)
            zv = float(z[min(max(i, 0), len(z) - 1)])
            zo = float(stats.zcurves[k][min(f0 + i, len(stats.zcurves[k]) - 1)])
            row[k] = [round(zv, 2), round(zo, 2)]
            if zv > max(stats.thresholds[k], zo):
                row["failed"].append(k)
        # beat phase
        sv, rv = _phase_shift(flux, t, stats.period, f0)
        so, ro = _phase_shift(stats.flux, t, stats.period)
        row["phase_ms"] = [round(sv, 1), round(so, 1)]
        row["steady"] = ro >= STEADY_R
        if row["steady"] and sv > max(stats.thresholds["phase_ms"], so):
            row["failed"].append("beat_phase")
        # level step, on the version's own samples around t
        c = int(round(t * rate))
        w = int(LEVEL_WIN * rate)
        seg = to_mono22(version[..., max(0, c - w) : c + w], rate)
        pw = _hp_power(seg)
        m = len(pw) // 2
        stepv = float(10 * np.log10((pw[m:].mean() + 1e-10) / (pw[:m].mean() + 1e-10)))
        fo = min(max(int(round((t - NFFT / 2 / SR) / DT)), 0), len(stats.step) - 1)
        stepo = float(stats.step[fo])
        row["level_step_db"] = [round(stepv, 2), round(stepo, 2)]
        if abs(stepv - stepo) > stats.thresholds["level_db"]:
            row["failed"].append("level")
        out_seams.append(row)
    result: dict = {"seams": out_seams, "thresholds": {k: round(v, 3) for k, v in
                                                       stats.thresholds.items()}}
    failed = [f"{f}@{r['t']}" for r in out_seams for f in r["failed"]]
    if max(float(s) for s in seams) > dur - 0.5:  # an ending replaced: its last second
        tail = _hp_power(to_mono22(version[..., -rate:], rate))
        lv = float(10 * np.log10(tail.mean() + 1e-10))
        result["ending_db"] = [round(lv, 2), round(stats.power_tail, 2)]
        if abs(lv - stats.power_tail) > stats.thresholds["level_db"]:
            failed.append("ending")
    result["failed"] = failed
    result["passed"] = not failed
    return result
