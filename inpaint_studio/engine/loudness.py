"""ITU-R BS.1770 loudness (via pyloudnorm) for planar audio, with a floor for silence."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyloudnorm

FLOOR_LUFS = -70.0  # BS.1770's absolute gate; silence reads as this, never -inf


@lru_cache(maxsize=8)
def _meter(rate: int, block: float) -> pyloudnorm.Meter:
    return pyloudnorm.Meter(rate, block_size=block)


def loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of planar `samples` (channels, frames); short or silent
    input reads as FLOOR_LUFS. Blocks are 400 ms, or the whole input if shorter (≥ 100 ms)."""
    n = samples.shape[1]
    if n < int(0.1 * rate):
        return FLOOR_LUFS
    block = min(0.4, n / rate)
    data = np.ascontiguousarray(samples.T, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = _meter(rate, round(block, 3)).integrated_loudness(data)
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
