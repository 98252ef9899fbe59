"""Loudness matching for a fair comparison: a louder version must not win by being louder.

Loudness is ITU-R BS.1770 integrated loudness (core.bs1770), measured on the region together with
some context either side, the stretch a musician actually listens to when comparing. The gain
for each version is what brings it to the original's loudness over that same stretch."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.bs1770 import integrated_loudness

DEFAULT_CONTEXT_S = 2.0
MAX_GAIN_DB = 12.0  # beyond this the version is not "the same music, louder": do not chase it
_MIN_MEASURE_S = 0.5  # BS.1770 gates 400 ms blocks: shorter stretches are padded by context


def measure_span(audio: Audio, region: tuple[float, float] | None = None,
                 context_s: float = DEFAULT_CONTEXT_S) -> tuple[int, int]:
    """The frames measured for `region`: the region plus `context_s` either side, clipped to the
    song, widened to at least half a second."""
    rate = audio.sample_rate
    if region is None:
        return (0, audio.frames)
    a = max(0, int((min(region) - context_s) * rate))
    b = min(audio.frames, int(math.ceil((max(region) + context_s) * rate)))
    need = int(_MIN_MEASURE_S * rate)
    if b - a < need:
        a = max(0, (a + b) // 2 - need // 2)
        b = min(audio.frames, a + need)
    return (a, b)


def loudness(audio: Audio, region: tuple[float, float] | None = None,
             context_s: float = DEFAULT_CONTEXT_S) -> float:
    """Integrated loudness in LUFS of the region with its context (the whole song if `region`
    is None); `-inf` for silence or audio too short to measure."""
    a, b = measure_span(audio, region, context_s)
    rate = audio.sample_rate
    if (b - a) < int(0.4 * rate) + 1:
        return float("-inf")
    value = integrated_loudness(audio.samples[:, a:b], rate)
    return value if math.isfinite(value) else float("-inf")


def matching_gains_db(reference: Audio, versions: Mapping[str, Audio],
                      region: tuple[float, float] | None = None,
                      context_s: float = DEFAULT_CONTEXT_S) -> dict[str, float]:
    """Gain in dB per version that matches its loudness to `reference`'s over the same stretch,
    limited to ±12 dB; 0 where either side is silent (nothing meaningful to match)."""
    ref = loudness(reference, region, context_s)
    gains: dict[str, float] = {}
    for name, audio in versions.items():
        own = loudness(audio, region, context_s)
        if not (math.isfinite(ref) and math.isfinite(own)):
            gains[name] = 0.0
        else:
            gains[name] = float(np.clip(ref - own, -MAX_GAIN_DB, MAX_GAIN_DB))
    return gains


def db_to_linear(db: float) -> float:
    return float(10.0 ** (db / 20.0))
