"""Splice exactness: bit-identical outside the crossfades, same length, equal-power law."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.splice import (
    SpliceError,
    conform,
    equal_power_gains,
    plan_splice,
    restore,
    splice,
    splice_in_place,
)

RATE = 44100


def noise(seconds: float, seed: int, channels: int = 2, rate: int = RATE) -> Audio:
    rng = np.random.default_rng(seed)
    return Audio(rng.uniform(-0.5, 0.5, (channels, int(seconds * rate))).astype(np.float32), rate)


@pytest.mark.parametrize("xf_ms", [0, 1, 30, 31, 250])
def test_outside_the_crossfades_is_bit_identical(xf_ms):
    song, version = noise(10, 1), noise(10, 2)
    out = splice(song, version, 2.5, 6.25, xf_ms / 1000)
    plan = plan_splice(song.frames, RATE, 2.5, 6.25, xf_ms / 1000)
    assert out.frames == song.frames and out.channels == song.channels
    assert out.samples.dtype == np.float32
    assert plan.start == round(2.5 * RATE) and plan.end == round(6.25 * RATE)
    assert plan.fade == round(xf_ms * RATE / 1000)
    assert np.array_equal(out.samples[:, : plan.lo], song.samples[:, : plan.lo])
    assert np.array_equal(out.samples[:, plan.hi :], song.samples[:, plan.hi :])
    l0, l1 = plan.left_fade
    r0, r1 = plan.right_fade
    # Centred on the seams: half before, half after.
    assert l1 - l0 == plan.fade and r1 - r0 == plan.fade
    assert plan.start - l0 == plan.fade // 2 and plan.end - r0 == plan.fade // 2
    assert np.array_equal(out.samples[:, l1:r0], version.samples[:, l1:r0])
    # The song itself is untouched.
    assert not np.shares_memory(out.samples, song.samples)


def test_crossfade_is_equal_power_and_mixes_as_promised():
    g_out, g_in = equal_power_gains(1323)
    np.testing.assert_allclose(g_out.astype(np.float64) ** 2 + g_in.astype(np.float64) ** 2, 1.0,
                               atol=1e-6)
    assert np.all(np.diff(g_out) < 0) and np.all(np.diff(g_in) > 0)
    np.testing.assert_allclose(g_out, g_in[::-1], atol=1e-7)  # symmetric about the seam
    song = Audio(np.ones((2, RATE), np.float32), RATE)
    version = Audio(np.zeros((2, RATE), np.float32), RATE)
    out = splice(song, version, 0.25, 0.75, 0.03)
    plan = plan_splice(song.frames, RATE, 0.25, 0.75, 0.03)
    l0, l1 = plan.left_fade
    r0, r1 = plan.right_fade
    np.testing.assert_allclose(out.samples[0, l0:l1], g_out, atol=1e-7)
    np.testing.assert_allclose(out.samples[0, r0:r1], g_in, atol=1e-7)
    # Equal power: two uncorrelated noises keep their level through the crossfade.
    a, b = noise(1, 3), noise(1, 4)
    mixed = splice(a, b, 0.2, 0.8, 0.5)
    p = plan_splice(a.frames, RATE, 0.2, 0.8, 0.5)
    seg = mixed.samples[:, p.left_fade[0] : p.left_fade[1]]
    assert abs(np.mean(seg**2) / np.mean(a.samples**2) - 1) < 0.05


def test_in_place_splice_and_restore_are_exact():
    song, version = noise(5, 5), noise(5, 6)
    original = song.samples.copy()
    expected = splice(song, version, 1.0, 2.0)
    plan = plan_splice(song.frames, RATE, 1.0, 2.0)
    previous = splice_in_place(song, version, plan)
    assert previous.shape == (2, plan.hi - plan.lo)
    assert np.array_equal(song.samples, expected.samples)
    restore(song, plan, previous)
    assert np.array_equal(song.samples, original)


def test_edges_and_short_regions():
    song, version = noise(2, 7), noise(2, 8)
    out = splice(song, version, 0.0, 0.005, 0.03)  # region shorter than the crossfade
    plan = plan_splice(song.frames, RATE, 0.0, 0.005, 0.03)
    assert plan.fade == plan.end - plan.start and plan.lo == 0
    assert np.array_equal(out.samples[:, plan.hi :], song.samples[:, plan.hi :])
    out = splice(song, version, 1.99, 2.0, 0.03)
    plan = plan_splice(song.frames, RATE, 1.99, 2.0, 0.03)
    assert plan.hi == song.frames and out.frames == song.frames
    assert np.array_equal(out.samples[:, : plan.lo], song.samples[:, : plan.lo])
    with pytest.raises(SpliceError):
        plan_splice(song.frames, RATE, 1.5, 1.5)
    with pytest.raises(SpliceError):
        plan_splice(song.frames, RATE, 1.5, 1.0)
    with pytest.raises(SpliceError):
        splice(song, noise(1, 9), 0.5, 1.5)  # the version is too short to cover the region


def test_conform_resamples_and_remixes():
    version = noise(1, 10, channels=1, rate=48000)
    out = conform(version, RATE, 2)
    assert out.sample_rate == RATE and out.channels == 2 and out.frames == RATE
    assert np.array_equal(out.samples[0], out.samples[1])
    down = conform(noise(1, 11, channels=2), RATE, 1)
    assert down.channels == 1
    song = noise(1, 12)
    spliced = splice(song, version, 0.2, 0.4)
    assert spliced.frames == song.frames

