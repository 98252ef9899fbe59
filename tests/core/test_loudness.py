"""BS.1770 loudness matching on the region with its context."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.loudness import (
    db_to_linear,
    loudness,
    matching_gains_db,
    measure_span,
)

RATE = 44100


def noise(seconds: float, level: float, seed: int = 0) -> Audio:
    rng = np.random.default_rng(seed)
    return Audio((rng.standard_normal((2, int(seconds * RATE))) * level).astype(np.float32), RATE)


def test_span_is_region_plus_context_clipped():
    song = noise(20, 0.1)
    assert measure_span(song, (5.0, 8.0)) == (3 * RATE, 10 * RATE)
    assert measure_span(song, (0.5, 19.5)) == (0, 20 * RATE)
    a, b = measure_span(song, (10.0, 10.1), context_s=0.0)
    assert b - a >= int(0.5 * RATE)


def test_louder_version_gets_matching_cut():
    song = noise(20, 0.05)
    louder = Audio(song.samples * np.float32(db_to_linear(6.0)), RATE)
    gains = matching_gains_db(song, {"v1": louder, "v2": song}, (5.0, 10.0))
    assert gains["v1"] == pytest.approx(-6.0, abs=0.05)
    assert gains["v2"] == pytest.approx(0.0, abs=0.01)


def test_measured_on_region_not_whole_song():
    song = noise(30, 0.05)
    version = song.samples.copy()
    version[:, 20 * RATE :] *= 4  # +12 dB, but only far from the region
    gains = matching_gains_db(song, {"v1": Audio(version, RATE)}, (5.0, 10.0))
    assert gains["v1"] == pytest.approx(0.0, abs=0.01)
    whole = matching_gains_db(song, {"v1": Audio(version, RATE)}, None)
    assert whole["v1"] < -3


def test_silence_and_limits():
    song = noise(10, 0.05)
    silent = Audio(np.zeros_like(song.samples), RATE)
    assert loudness(silent) == -math.inf
    assert matching_gains_db(song, {"s": silent})["s"] == 0.0
    faint = Audio(song.samples * np.float32(0.01), RATE)  # -40 dB: clamp the boost
    assert matching_gains_db(song, {"f": faint})["f"] == 12.0
