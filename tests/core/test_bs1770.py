"""The vectorised BS.1770 meter measures what pyloudnorm (the independent reference the engine
was tuned with) measures: same K-weighting, blocks and gates, on many shapes of input."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from inpaint_studio.core import bs1770
from inpaint_studio.core.bs1770 import integrated_loudness


def reference(samples: np.ndarray, rate: int, block: float = 0.4) -> float:
    with np.errstate(divide="ignore"):
        return float(pyloudnorm.Meter(rate, block_size=block).integrated_loudness(
            np.ascontiguousarray(samples.T, dtype=np.float64)))


def music(channels: int, seconds: float, rate: int, seed: int) -> np.ndarray:
    """Noise bursts and tones with loud and quiet stretches, so both gates have work to do."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    env = np.where((t % 3.0) < 2.0, 1.0, 0.02) * (0.3 + 0.7 * rng.random())
    out = []
    for c in range(channels):
        tone = np.sin(2 * np.pi * (110 + 50 * c + 400 * rng.random()) * t)
        out.append(env * (0.3 * tone + 0.1 * rng.standard_normal(n)))
    return np.asarray(out, dtype=np.float32)


@pytest.mark.parametrize("rate", [22050, 48000])
@pytest.mark.parametrize("channels", [1, 2, 5])
@pytest.mark.parametrize("seconds", [0.41, 4.3])
def test_matches_pyloudnorm(rate, channels, seconds):
    x = music(channels, seconds, rate, seed=rate + channels)
    assert integrated_loudness(x, rate) == pytest.approx(reference(x, rate), abs=1e-6)


@pytest.mark.parametrize("block", [0.1, 0.25, 0.4])
def test_matches_pyloudnorm_with_short_blocks(block):
    x = music(2, 2.0, 44100, seed=7)
    assert integrated_loudness(x, 44100, block) == pytest.approx(
        reference(x, 44100, block), abs=1e-6)


def test_quiet_passages_are_gated_out():
    rate = 44100
    loud = music(2, 4.0, rate, seed=1)
    with_silence = np.concatenate([loud, np.zeros((2, 8 * rate), np.float32)], axis=1)
    # pyloudnorm agrees, and the silence does not pull the figure down (the absolute gate)
    assert integrated_loudness(with_silence, rate) == pytest.approx(
        reference(with_silence, rate), abs=1e-6)
    assert integrated_loudness(with_silence, rate) == pytest.approx(
        integrated_loudness(loud, rate), abs=0.5)


def test_silence_and_empty_read_minus_infinity():
    assert integrated_loudness(np.zeros((2, 44100), np.float32), 44100) == float("-inf")
    assert integrated_loudness(np.zeros((2, 0), np.float32), 44100) == float("-inf")


def test_more_than_five_channels_measures_the_first_five():
    x = music(6, 1.0, 44100, seed=3)
    assert integrated_loudness(x, 44100) == pytest.approx(reference(x[:5], 44100), abs=1e-6)


def test_shorter_than_a_block_is_one_block_of_its_own_length():
    x = music(2, 0.25, 44100, seed=4)
    assert integrated_loudness(x, 44100) == pytest.approx(
        reference(x, 44100, x.shape[1] / 44100), abs=1e-6)


def test_chunked_filtering_matches_one_pass_across_chunk_edges(monkeypatch):
    """The K-weighting runs chunk by chunk with its state carried over: the figure must not
    depend on where the chunks fall (a tiny chunk puts edges inside every block)."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((2, 44100 * 7)) * np.linspace(0.02, 0.6, 44100 * 7)).astype(
        np.float32)
    whole = bs1770.integrated_loudness(x, 44100)
    monkeypatch.setattr(bs1770, "CHUNK", 4099)
    assert bs1770.integrated_loudness(x, 44100) == pytest.approx(whole, abs=1e-9)
