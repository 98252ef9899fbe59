"""ITU-R BS.1770 loudness (core.bs1770, pyloudnorm's measure) for planar audio, with a floor for
silence."""

from __future__ import annotations

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
