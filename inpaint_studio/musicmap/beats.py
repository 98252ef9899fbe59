"""Tempo and beats from the onset envelope: the tempo from the envelope's autocorrelation summed
over its metrical multiples under a log-normal prior, beats by dynamic programming (Ellis 2007)
on a tempo that may drift, a tempo curve from local autocorrelations, and a verdict on whether the
music has a steady beat at all (no grid is invented for music that has none)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inpaint_studio.core.rhythm import dp_beats

MIN_BPM, MAX_BPM = 40.0, 240.0
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 0.9
TIGHTNESS = 150.0
STRICT_TIGHTNESS = 2000.0
STRICT_KEEPS = 0.9  # the strict grid is kept when its beats hold this share of the loose one's
AC_SMOOTH_S = 0.01
TRIM_LEVEL = 0.1  # head and tail beats weaker than this share of the median are dropped
MIN_PULSE = 1.4  # onset flux on the beats ÷ the song's 90th percentile, below: no steady beat
SWING_VS_BEAT = 0.35  # the would-be long note is at least this strong against the grid's beats
SWING_VS_OTHER = 2.5  # ... and this much stronger than the onsets 2/3 of a beat after them
TRIPLET_MIN = 0.3  # both thirds of the beat at least this strong against the beat ...
TRIPLET_EVEN = 0.6  # ... and about equally strong
TRIPLET_MAX_BPM = 200.0  # the faster reading of a triplet grid only up to this tempo
ONSETS_PER_BEAT = 2.0  # the beat is usually the level with about two onsets in it (eighths)
DENSITY_OCTAVES = 1.0  # width of that prior (octaves); the tuning half reads the same at 0.75–1.5
ONSET_PEAK = 1.0  # an onset: a peak of the normalised envelope above one standard deviation
ONSET_GAP_S = 0.05  # ... at least this far from the previous one
CURVE_WIN_S = 12.0
CURVE_HOP_S = 4.0


@dataclass
class BeatTrack:
    times: np.ndarray  # beat instants (s)
    tempo_bpm: float | None
    curve: list[tuple[float, float]]  # (time s, bpm) where the tempo is measured locally
    confidence: float  # 0..1: how beat-like the music is
    steady: bool


def normalise(onset: np.ndarray, dt: float) -> np.ndarray:
    """Onset envelope minus its ~1 s moving mean, clipped at 0, unit std."""
    w = max(3, int(1.0 / dt) | 1)
    local = np.convolve(onset, np.ones(w) / w, mode="same")
    x = np.maximum(0.0, onset - local)
    return x / max(float(x.std()), 1e-9)


def autocorr(x: np.ndarray, max_lag: int) -> np.ndarray:
    x = x - x.mean()
    n = len(x)
    nfft = 1 << int(np.ceil(np.log2(2 * n + 1)))
    f = np.fft.rfft(x, nfft)
    ac = np.fft.irfft(f * np.conj(f), nfft)[: max_lag + 1]
    return ac / max(float(ac[0]), 1e-12)


def tempo_scores(ac: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """(bpm axis, score) for lags in the tempo range: the autocorrelation at a lag plus at its
    double and triple (a beat is also a half and a third of a bar), times the prior."""
    lags = np.arange(len(ac))
    bpm = 60.0 / np.maximum(lags * dt, 1e-9)
    ok = (bpm >= MIN_BPM) & (bpm <= MAX_BPM)
    ac = np.maximum(ac, 0.0)
    # a multiple of a fractional lag is only known to ±1 frame: take the best of the three
    wide = np.maximum(ac, np.maximum(np.roll(ac, 1), np.roll(ac, -1)))

    def at(k: np.ndarray) -> np.ndarray:
        return np.where(k < len(ac), wide[np.minimum(k, len(ac) - 1)], 0.0)

    comb = ac + 0.5 * np.maximum(at(2 * lags), at(3 * lags)) + 0.25 * at(4 * lags)
    prior = np.exp(-0.5 * (np.log2(np.maximum(bpm, 1e-9) / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    return bpm, np.where(ok, comb * prior, 0.0)


def _score_curve(x: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """(autocorrelation, tempo score) per lag in frames."""
    max_lag = int(60.0 / MIN_BPM / dt) * 4 + 2
    # smooth over ~±25 ms first: a sharp onset's autocorrelation peak is narrower than one
    # frame, and integer lags would catch it at some multiples of the beat and miss it at others
    k = np.arange(-4, 5)
    g = np.exp(-0.5 * (k * dt / AC_SMOOTH_S) ** 2)
    ac = autocorr(np.convolve(x, g / g.sum(), mode="same"), min(max_lag, len(x) - 1))
    return ac, tempo_scores(ac, dt)[1]


def _near(score: np.ndarray, periods: list[float]) -> np.ndarray:
    mask = np.zeros(len(score), bool)
    for p in periods:
        mask[max(1, int(p * 0.96)): int(p * 1.04) + 2] = True
    return np.where(mask, score, 0.0)


def estimate_period(x: np.ndarray, dt: float, near: list[float] | None = None
                    ) -> tuple[float, float]:
    """(period in frames, autocorrelation peak 0..1); with `near`, the best of the score's
    peaks within ±4 % of those periods."""
    ac, score = _score_curve(x, dt)
    if near:
        score = _near(score, near)
    lag = int(np.argmax(score))
    if lag <= 0:
        return 0.5 / dt, 0.0
    if 0 < lag < len(ac) - 1:
        a, b, c = score[lag - 1], score[lag], score[lag + 1]
        den = a - 2 * b + c
        frac = 0.5 * (a - c) / den if den < 0 else 0.0
        return lag + float(np.clip(frac, -0.5, 0.5)), float(ac[lag])
    return float(lag), float(ac[lag])


def onset_rate(x: np.ndarray, dt: float) -> float:
    """Onsets per second: peaks of the normalised envelope above ONSET_PEAK, at least
    ONSET_GAP_S apart."""
    from scipy.signal import find_peaks  # noqa: PLC0415 - only the analysis needs it

    peaks, _ = find_peaks(x, height=ONSET_PEAK, distance=max(1, int(ONSET_GAP_S / dt)))
    return len(peaks) / max(len(x) * dt, 1e-9)


def octave_check(x: np.ndarray, dt: float, period: float) -> float:
    """The period, or half of it where the beat at the double tempo is the likelier level.
    The tempo score's prior (around 120 BPM) cannot tell 85 from 170; how many onsets fall in
    a beat can: each level's score is weighed by a log-normal prior on onsets per beat around
    ONSETS_PER_BEAT, so a beat that holds four onsets gives way to its half (only the faster
    reading is tried: half-tempo is the error the score makes)."""
    _, score = _score_curve(x, dt)
    rate = onset_rate(x, dt)

    def weighed(p: float) -> float:
        if 60.0 / (p * dt) > MAX_BPM:
            return 0.0
        per_beat = max(rate * p * dt, 1e-9)
        prior = np.exp(-0.5 * (np.log2(per_beat / ONSETS_PER_BEAT) / DENSITY_OCTAVES) ** 2)
        return float(_near(score, [p]).max()) * float(prior)

    return period / 2 if weighed(period / 2) > weighed(period) else period


def track(x: np.ndarray, period: float, tightness: float | None = None) -> np.ndarray:
    """Beat frames maximising onset strength plus a log-interval regularity score."""
    tightness = TIGHTNESS if tightness is None else tightness
    if len(x) == 0 or period <= 1:
        return np.zeros(0, int)
    lo, hi = max(1, int(round(period * 0.6))), max(2, int(round(period * 1.6)))
    return dp_beats(x, period, lo, hi, tightness)


def _steadiest(x: np.ndarray, period: float) -> np.ndarray:
    """Track with a loose and a strict tempo; keep the strict grid unless it loses a real share
    of the onset strength on its beats (then the tempo really moves: keep the loose one). A
    loose grid on steady music drifts onto the off-beat now and then; a strict one cannot
    follow a human tempo."""
    loose = _trim(track(x, period, TIGHTNESS), x)
    strict = _trim(track(x, period, STRICT_TIGHTNESS), x)
    if len(strict) < 8 or len(loose) < 8:
        return loose
    if _strength_at(x, strict) >= STRICT_KEEPS * _strength_at(x, loose):
        return strict
    return loose


def _trim(frames: np.ndarray, env: np.ndarray) -> np.ndarray:
    """Drop beats at the head and tail where the music has not started or has stopped."""
    if len(frames) < 4:
        return frames
    w = 8
    strength = np.array([env[max(0, f - w): f + w + 1].max() for f in frames])
    level = TRIM_LEVEL * float(np.median(strength))
    # also ignore a silent stretch: use a smoothed strength over 4 beats
    sm = np.convolve(strength, np.ones(4) / 4, mode="same")
    good = np.flatnonzero(sm > level)
    if len(good) == 0:
        return frames[:0]
    return frames[good[0] : good[-1] + 1]


def _strength_at(x: np.ndarray, frames: np.ndarray) -> float:
    f = np.clip(frames, 0, len(x) - 1)
    return float(np.maximum.reduce([x[np.clip(f + d, 0, len(x) - 1)] for d in range(-2, 3)]).mean())


def _thirds(x: np.ndarray, frames: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    """Onset strength on the beats, a third and two thirds of a beat after them, and each
    beat's interval to the next."""
    ibi = np.diff(frames)
    nxt = np.concatenate([ibi, ibi[-1:]])
    s0 = _strength_at(x, frames)
    s13 = _strength_at(x, frames + np.rint(nxt / 3).astype(int))
    s23 = _strength_at(x, frames + np.rint(2 * nxt / 3).astype(int))
    return s0, s13, s23, nxt


def swing_shift(x: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Swung music (long–short eighths, 2:1) has onsets on the beat and 2/3 of a beat after it.
    A tracker can lock onto the swung eighth instead, which then has its strong neighbour only
    1/3 of a beat later: move such a grid onto the long note."""
    if len(frames) < 8:
        return frames
    s0, s13, s23, nxt = _thirds(x, frames)
    if s13 > SWING_VS_BEAT * s0 and s13 > SWING_VS_OTHER * s23:
        return frames + np.rint(nxt / 3).astype(int)
    return frames


def triplet_grid(x: np.ndarray, frames: np.ndarray) -> bool:
    """True when onsets fall evenly on the thirds of the tracked beat: then the beat is a
    dotted or triplet level, not the notated one (3 against 2)."""
    if len(frames) < 8:
        return False
    s0, s13, s23, _ = _thirds(x, frames)
    lo, hi = min(s13, s23), max(s13, s23)
    return lo > TRIPLET_MIN * s0 and lo > TRIPLET_EVEN * hi


def tempo_curve(times: np.ndarray) -> list[tuple[float, float]]:
    """Local tempo from the beat intervals, smoothed over ~8 beats."""
    if len(times) < 3:
        return []
    ibi = np.diff(times)
    k = min(8, len(ibi))
    med = np.array([np.median(ibi[max(0, i - k // 2): i + k // 2 + 1]) for i in range(len(ibi))])
    mids = (times[:-1] + times[1:]) / 2
    out: list[tuple[float, float]] = []
    next_t = -1.0
    for t, p in zip(mids, med, strict=True):
        if t >= next_t:
            out.append((round(float(t), 3), round(60.0 / float(p), 2)))
            next_t = t + CURVE_HOP_S
    return out


def beat_track(onset: np.ndarray, dt: float) -> BeatTrack:
    x = normalise(onset, dt)
    if len(x) < int(4.0 / dt) or not np.any(x):
        return BeatTrack(np.zeros(0), None, [], 0.0, False)
    period, peak = estimate_period(x, dt)
    half = octave_check(x, dt, period)
    if half != period:
        period, peak = estimate_period(x, dt, near=[half])
    frames = _steadiest(x, period)
    if triplet_grid(x, frames):
        # the notated beat is then two of the three subdivisions (or, too fast for that, four)
        faster = period * 2 / 3
        near = [faster] if 60.0 / (faster * dt) <= TRIPLET_MAX_BPM else [period * 4 / 3]
        period, peak = estimate_period(x, dt, near=near)
        frames = _steadiest(x, period)
    frames = swing_shift(x, frames)
    if len(frames) < 8:
        return BeatTrack(np.zeros(0), None, [], 0.0, False)
    # how far the onsets on the beats stand out of the song's ordinary onset level (raw flux in
    # dB, so independent of gain): a drone or noise gives ~1, music with a pulse 1.8 and more
    raw = np.maximum.reduce([onset[np.clip(frames + d, 0, len(onset) - 1)] for d in (-1, 0, 1)])
    pulse = float(np.median(raw) / max(float(np.percentile(onset, 90)), 1e-9))
    ibi = np.diff(frames) * dt
    regular = float(np.median(np.abs(ibi - np.median(ibi))) / np.median(ibi))
    confidence = float(np.clip((pulse - 1.0) / 1.5, 0.0, 1.0))
    steady = pulse >= MIN_PULSE and regular < 0.08
    times = frames * dt
    if not steady:
        return BeatTrack(np.zeros(0), None, [], confidence, False)
    tempo = 60.0 / float(np.median(ibi))
    return BeatTrack(times, tempo, tempo_curve(times), confidence, True)
