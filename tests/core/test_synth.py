"""The synthetic song generator: deterministic, music-shaped, repeating but never identical."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.synth import compose, synth_song


def test_shape_rate_and_level():
    song = synth_song(seconds=12.3, bpm=100.0, seed=2, sample_rate=22050)
    assert song.sample_rate == 22050
    assert song.samples.shape == (2, int(round(12.3 * 22050)))
    assert song.samples.dtype == np.float32
    peak = float(np.abs(song.samples).max())
    assert 0.3 < peak <= 0.9  # loud enough to be heard, never clipping
    assert not np.allclose(song.samples[0], song.samples[1])  # real stereo


def test_same_seed_same_samples_other_seed_other_song():
    a = synth_song(8.0, seed=5)
    b = synth_song(8.0, seed=5)
    c = synth_song(8.0, seed=6)
    assert np.array_equal(a.samples, b.samples)
    assert not np.allclose(a.samples, c.samples)


def test_choruses_repeat_but_are_never_identical():
    plan = compose(90.0, bpm=120.0, seed=1)
    song = synth_song(90.0, bpm=120.0, seed=1)
    choruses = [(b0, b1) for name, b0, b1 in plan.sections if name == "chorus"]
    assert len(choruses) >= 2
    rate = song.sample_rate
    spans = [(int(plan.beat_times[b0] * rate), int(plan.beat_times[b0 + 8] * rate))
             for b0, _ in choruses[:2]]
    n = min(e - s for s, e in spans)
    x, y = (song.mono()[s : s + n] for s, _ in spans)
    # the envelopes (1/16-beat RMS) match closely, the samples do not
    hop = n // 64
    ex = np.sqrt((x[: hop * 64].reshape(64, hop) ** 2).mean(axis=1))
    ey = np.sqrt((y[: hop * 64].reshape(64, hop) ** 2).mean(axis=1))
    assert np.corrcoef(ex, ey)[0, 1] > 0.8
    assert not np.allclose(x, y, atol=1e-3)


def test_tempo_drift_bends_the_beat_grid():
    steady = compose(60.0, bpm=120.0, seed=0, drift=0.0).beat_times
    drifting = compose(60.0, bpm=120.0, seed=0, drift=0.04).beat_times
    assert np.allclose(np.diff(steady), 0.5)
    ibi = np.diff(drifting[:100])
    assert ibi.max() - ibi.min() > 0.02


def test_legato_has_no_drums_and_softer_transients():
    assert not any(n.instrument in ("kick", "snare", "hat")
                   for n in compose(30.0, style="legato").notes)
    band, legato = synth_song(20.0, seed=3), synth_song(20.0, seed=3, style="legato")

    def flux(a):
        x = a.mono()
        frames = x[: len(x) // 512 * 512].reshape(-1, 512)
        e = np.log(np.abs(np.fft.rfft(frames * np.hanning(512), axis=1)) + 1e-4)
        return np.maximum(np.diff(e, axis=0), 0).mean(axis=1)

    assert np.percentile(flux(band), 95) > 1.3 * np.percentile(flux(legato), 95)


def test_bad_arguments():
    with pytest.raises(ValueError):
        synth_song(0.0)
    with pytest.raises(ValueError):
        synth_song(5.0, style="polka")
