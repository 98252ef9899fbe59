"""The tempo octave (onsets per beat) and the bar phase (the bass on the chord's root) on
envelopes and beat features whose answer is known by construction."""

from __future__ import annotations

import numpy as np

from inpaint_studio.musicmap import beats, harmony, metre

DT = 256 / 22050  # the map's onset frame


def _pulses(step: int, levels: tuple[float, ...], seconds: float = 40.0) -> np.ndarray:
    x = np.zeros(int(seconds / DT))
    for i, f in enumerate(range(0, len(x), step)):
        x[f] = levels[i % len(levels)]
    return beats.normalise(x, DT)


def _bpm(period: float) -> float:
    return 60.0 / (period * DT)


def test_a_beat_holding_four_onsets_gives_way_to_its_double_tempo():
    # sixteenths 16 frames apart, accented every fourth: the autocorrelation's best level is
    # the accent (81 BPM), four onsets a beat; the double (161 BPM, two a beat) is the beat
    x = _pulses(16, (1.0, 0.3, 0.5, 0.3))
    period, _ = beats.estimate_period(x, DT)
    assert abs(_bpm(period) - 80.8) < 2
    assert abs(_bpm(beats.octave_check(x, DT, period)) - 161.5) < 3


def test_a_beat_holding_two_onsets_keeps_its_tempo():
    x = _pulses(32, (1.0, 0.3))  # the same 81 BPM accent with plain eighths
    period, _ = beats.estimate_period(x, DT)
    assert abs(_bpm(period) - 80.8) < 2
    assert beats.octave_check(x, DT, period) == period


def _anticipated_bars(n_bars: int = 16):
    """4/4 bars whose chord is anticipated on the "and" of the last beat of the bar before (the
    harmony starts changing a beat early), over a bass that plays the root on the downbeat and
    walks on the other beats."""
    rng = np.random.default_rng(4)
    progression = [0, 5, 7, 9]  # C, F, G, A (roots; major triads are enough here)
    n = 4 * n_bars
    chroma = np.zeros((n, 12))
    bass = np.zeros((n, 12))
    roots = np.zeros(n, int)
    for i in range(n):
        bar, pos = divmod(i, 4)
        own, nxt = progression[bar % 4], progression[(bar + 1) % 4]
        for iv in (0, 4, 7):
            if pos == 3:  # half of beat 4 already sounds the next chord, which the beat is read as
                chroma[i, (own + iv) % 12] += 0.5
                chroma[i, (nxt + iv) % 12] += 0.5 + 0.1 * rng.random()
            else:
                chroma[i, (own + iv) % 12] = 1.0 + 0.1 * rng.random()
        roots[i] = nxt if pos == 3 else own
        bass[i, own if pos == 0 else (own + (2, 4, 7)[pos - 1]) % 12] = 1.0
    return chroma, bass, roots


def test_the_bass_on_the_root_puts_the_bar_line_back_on_beat_one():
    chroma, bass, roots = _anticipated_bars()
    times = np.arange(len(chroma)) * 0.5
    flat = np.ones(int(times[-1] / DT) + 100)  # no accents: the harmony and bass decide
    plain = metre.salience(times, chroma, flat, flat, DT)
    m, phase, _ = metre.choose_metre(plain)
    assert (m, phase) == (4, 3)  # the anticipation alone reads beat 4 as the downbeat
    sal = metre.salience(times, chroma, flat, flat, DT, metre.root_in_bass(bass, roots))
    m, phase, _ = metre.choose_metre(sal)
    assert (m, phase) == (4, 0)
    assert list(metre.positions(sal, 4)[:8]) == [0, 1, 2, 3, 0, 1, 2, 3]


def test_root_in_bass_is_the_roots_share_of_the_bass():
    bass = np.array([[2.0, 0, 0, 0, 0, 0, 0, 2.0, 0, 0, 0, 0], [0.0] * 12, [1.0] + [0.0] * 11])
    got = metre.root_in_bass(bass, np.array([0, 0, -1]))
    assert np.allclose(got, [0.5, 0.0, 0.0])
    assert harmony.NAMES[7] == "G"  # the roots are pitch classes in harmony.NAMES order
