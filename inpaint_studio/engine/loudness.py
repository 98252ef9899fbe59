"""ITU-R BS.1770 loudness (core.bs1770, pyloudnorm's measure) for planar audio, with a floor for
silence."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from inpaint_studio.core.bs1770 import biquad, integrated_loudness

FLOOR_LUFS = -70.0  # BS.1770's absolute gate; silence reads as this, never -inf


def loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of planar `samples` (channels, frames); short or silent
    input reads as FLOOR_LUFS. Blocks are 400 ms, or the whole input if shorter (≥ 100 ms)."""
    n = samples.shape[1]
    if n < int(0.1 * rate):
        return FLOOR_LUFS
    value = integrated_loudness(samples, rate, block_s=round(min(0.4, n / rate), 3))
    if not np.isfinite(value):
        return FLOOR_LUFS
    return max(FLOOR_LUFS, float(value))


def momentary(samples: np.ndarray, rate: int, t: float, before: bool) -> float:
    """Momentary loudness (400 ms) just before or just after `t` seconds."""
    n = int(0.4 * rate)
    i = int(round(t * rate))
    a, b = (i - n, i) if before else (i, i + n)
    a, b = max(0, a), min(samples.shape[1], b)
    return loudness(samples[:, a:b], rate)


def k_weighted(x: np.ndarray, rate: int) -> np.ndarray:
    """`x` (1-D) through the BS.1770 K-weighting pre-filter (high shelf, then high-pass), so a
    level contour measured on it tracks momentary loudness."""
    from scipy.signal import lfilter  # local: only the contour needs it

    b, a = biquad("high_shelf", 1681.974450955533, 0.7071752369554196, 3.999843853973347, rate)
    y = lfilter(b, a, x)  # shelf: +4 dB above ~1.7 kHz
    b, a = biquad("high_pass", 38.13547087602444, 0.5003270373238773, 0.0, rate)
    return lfilter(b, a, y)  # high-pass: the low end barely counts


class SongLevels:
    """Loudness of stretches of one song, each measured once however many takes ask for it
    (and the song's other figures at the seams the takes share, `figure`).

    Every take of a fill matches its gain to the original region and is judged against the
    original region and the context either side of it; the takes of one fill mostly share
    their outer seams, so those figures of the original repeat. On a 60-s region they were
    two thirds of the loudness measured per take. The values are exactly `loudness`'s."""

    def __init__(self, samples: np.ndarray, rate: int) -> None:
        self.samples = samples
        self.rate = rate
        self._memo: dict[tuple, float] = {}
        self._powers: dict[tuple, np.ndarray] = {}
        self._figures: dict[tuple, float] = {}

    def figure(self, key: tuple, measure: Callable[[], float]) -> float:
        """Any other figure of the original (`measure()`), kept under `key`: the seam measures
        read the original at the same instants for every take that shares a seam."""
        if key not in self._figures:
            self._figures[key] = measure()
        return self._figures[key]

    def span(self, i0: int, i1: int) -> float:
        """`loudness` of the song's frames [i0, i1)."""
        key = ("span", int(i0), int(i1))
        if key not in self._memo:
            self._memo[key] = loudness(self.samples[:, i0:i1], self.rate)
        return self._memo[key]

    def context(self, i0: int, i1: int, n: int) -> float:
        """`loudness` of the song's n frames before i0 and n after i1, joined."""
        key = ("context", int(i0), int(i1), int(n))
        if key not in self._memo:
            ctx = np.concatenate([self.samples[:, max(0, i0 - n) : i0],
                                  self.samples[:, i1 : i1 + n]], axis=1)  # fmt: skip
            self._memo[key] = loudness(ctx, self.rate)
        return self._memo[key]

    def powers(self, i0: int, i1: int, lead: int, win: int, hop: int) -> np.ndarray:
        """The K-weighted mean power of the song's mono mix in `win`-frame windows every `hop`
        frames from i0 to i1 (the filters run from i0 - lead, so they have settled)."""
        key = (int(i0), int(i1), int(lead), int(win), int(hop))
        if key not in self._powers:
            self._powers[key] = window_powers(
                self.samples[:, i0 - lead : i1].mean(axis=0), self.rate, lead, win, hop)
        return self._powers[key]


def window_powers(mono: np.ndarray, rate: int, lead: int, win: int, hop: int) -> np.ndarray:
    """K-weighted mean power of `mono[lead:]` in `win`-frame windows every `hop` frames."""
    k = k_weighted(mono, rate)[lead:]
    c = np.concatenate([[0.0], np.cumsum(k * k)])
    starts = np.arange(0, len(k) - win + 1, hop)
    return (c[starts + win] - c[starts]) / win
