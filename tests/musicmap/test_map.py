"""The musical map on songs with exact answers, decoded by ffmpeg from real files: synthetic band
and legato songs (core/synth.py: known beats, bars, key and chords), a 3/4 waltz and a drone
with no beat."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.cancel import Cancelled, CancelToken
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import compose, synth_song
from inpaint_studio.musicmap import MusicMap, analyze
from tests.musicmap.songs import drone, synth_bar_chords, synth_key, waltz

SECONDS = 60.0


def f_measure(ref, est, window=0.07) -> float:
    """Beat F-measure: each reference beat matched at most once within ±window."""
    ref, est = np.asarray(ref, float), np.asarray(est, float)
    if len(ref) == 0 or len(est) == 0:
        return 0.0
    used = np.zeros(len(est), bool)
    hits = 0
    for r in ref:
        d = np.abs(est - r)
        d[used] = np.inf
        j = int(np.argmin(d))
        if d[j] <= window:
            used[j] = True
            hits += 1
    p, r = hits / len(est), hits / len(ref)
    return 0.0 if hits == 0 else 2 * p * r / (p + r)


def decoded(tmp_path_factory, audio, name: str):
    path = tmp_path_factory.mktemp("map") / name
    encode_audio(audio, path)
    return load_audio(path)


SONGS = [  # (bpm, seed, style, file)
    (140.0, 5, "band", "band140.mp3"),
    (84.0, 7, "band", "band84.flac"),
    (110.0, 1, "legato", "legato110.mp3"),
]


@pytest.fixture(scope="module", params=SONGS, ids=[s[3] for s in SONGS])
def synth_map(request, tmp_path_factory):
    bpm, seed, style, name = request.param
    audio = decoded(tmp_path_factory, synth_song(SECONDS, bpm=bpm, seed=seed, style=style), name)
    plan = compose(SECONDS, bpm, seed, 0.0, style)
    beats = plan.beat_times[plan.beat_times < SECONDS - 0.5]
    return bpm, seed, beats, analyze(audio)


def test_tempo_beats_and_bars_of_a_synthetic_song(synth_map):
    bpm, _, beats, m = synth_map
    assert m.steady_beat
    assert m.tempo_bpm == pytest.approx(bpm, rel=0.02)
    assert f_measure(beats[beats > 5], [b for b in m.beats if b > 5]) >= 0.9
    assert m.time_signature == "4/4" and m.beats_per_bar == 4
    bars = beats[::4]  # the synth's bars start on its first beat
    assert f_measure(bars[bars > 5], [d for d in m.downbeats if d > 5]) >= 0.9
    # bar positions count 1..4 and restart on every downbeat
    assert set(m.bar_positions) == {1, 2, 3, 4}
    assert [b for b, p in zip(m.beats, m.bar_positions, strict=True) if p == 1] == m.downbeats


def test_key_of_a_synthetic_song(synth_map):
    _, seed, _, m = synth_map
    assert m.key == synth_key(seed)[1]


def test_chords_follow_the_synthetic_progression(synth_map):
    """Per beat, the estimated chord's root and major/minor triad equal the composed chord's
    on most beats (sevenths count as their triad, as mir_eval's majmin does)."""
    bpm, seed, _, m = synth_map
    truth = synth_bar_chords(SECONDS, bpm, seed)
    agree = total = 0
    for t, label in zip(m.beats, m.beat_chords, strict=True):
        ref = next((lab for a, b, lab in truth if a <= t + 0.05 < b), None)
        if ref is None or ref.endswith("dim"):
            continue
        root, quality = label.split(":") if ":" in label else (label, "")
        triad = "min" if quality.startswith("min") else "maj"
        total += 1
        agree += f"{root}:{triad}" == ref
    assert total > 50
    print(f"chords agree on {agree}/{total} beats")
    assert agree / total >= 0.75


def test_sections_cover_the_song_and_repeat_labels(synth_map):
    *_, m = synth_map
    assert m.sections[0][0] == 0.0
    assert m.sections[-1][1] == pytest.approx(m.duration, abs=0.01)
    for (a0, a1, _), (b0, _, _) in zip(m.sections, m.sections[1:], strict=False):
        assert a1 == b0 and a1 > a0
    # boundaries sit on bar lines
    for start, _, _ in m.sections[1:]:
        assert min(abs(d - start) for d in m.downbeats) < 0.01


def test_loudness_curve_follows_the_fade_out(synth_map):
    *_, m = synth_map
    hop = m.loudness_hop
    body = np.median(m.loudness[int(10 / hop) : int(50 / hop)])
    assert -30 < body < -5  # the synth is mixed to about -15 dBFS RMS
    assert m.loudness[-2] < body - 10  # the last 1.5 s fade out


def test_a_waltz_is_in_three(tmp_path_factory):
    audio, beats, downbeats = waltz()
    m = analyze(decoded(tmp_path_factory, audio, "waltz.wav"))
    assert m.tempo_bpm == pytest.approx(150.0, rel=0.02)
    assert m.time_signature == "3/4"
    assert f_measure(beats[beats > 2], [b for b in m.beats if b > 2]) >= 0.9
    assert f_measure(downbeats[downbeats > 2], [d for d in m.downbeats if d > 2]) >= 0.9
    assert m.key == "C major"


def test_a_drone_has_no_invented_grid(tmp_path_factory):
    m = analyze(decoded(tmp_path_factory, drone(), "drone.flac"))
    assert not m.steady_beat
    assert m.beats == [] and m.downbeats == [] and m.bar_positions == []
    assert m.tempo_bpm is None and m.time_signature is None
    assert m.key == "A minor"
    assert [lab for _, _, lab in m.chords if lab != "N"] == ["A:min"]


def test_json_round_trip(synth_map):
    *_, m = synth_map
    back = MusicMap.from_json(m.to_json())
    assert back.to_dict() == m.to_dict()
    d = m.to_dict()
    for key in ("tempo_bpm", "beats", "downbeats", "time_signature", "key", "chords", "sections"):
        assert key in d
    assert all(len(c) == 3 and isinstance(c[2], str) for c in d["chords"])


def test_bar_of_counts_bars_and_beats(synth_map):
    *_, m = synth_map
    first = m.downbeats[0]
    assert m.bar_of(first) == (1, 1)
    third_bar_second_beat = m.beats[m.beats.index(m.downbeats[2]) + 1]
    assert m.bar_of(third_bar_second_beat + 0.01) == (3, 2)
    assert m.bar_of(first - 0.5) is None


def test_cancel_stops_the_analysis():
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        analyze(synth_song(10.0, seed=1), token)


def test_tempo_curve_follows_a_drifting_tempo(tmp_path_factory):
    """±3 % drift over ~40 s: the beats stay locked and the curve follows the local tempo."""
    seconds, bpm, seed, drift = 90.0, 110.0, 3, 0.03
    m = analyze(decoded(tmp_path_factory, synth_song(seconds, bpm, seed, drift=drift),
                        "drift.flac"))
    beats = compose(seconds, bpm, seed, drift).beat_times
    beats = beats[(beats > 5) & (beats < seconds - 1)]
    assert f_measure(beats, [b for b in m.beats if b > 5]) >= 0.9
    local = [60.0 / np.median(np.diff(beats[max(0, i - 4) : i + 4]))
             for i in np.searchsorted(beats, [t for t, _ in m.tempo_curve])]
    curve = np.array([bpm for _, bpm in m.tempo_curve])
    assert len(curve) >= 15
    assert curve.max() - curve.min() > 0.03 * bpm  # it does move, not one global value
    assert np.max(np.abs(curve / np.array(local) - 1)) < 0.03
    assert np.corrcoef(curve, local)[0, 1] > 0.8


@pytest.mark.parametrize("rate,channels", [(48000, 2), (22050, 2), (11025, 1)])
def test_any_rate_and_channel_count(rate, channels):
    song = synth_song(30.0, bpm=128, seed=2, sample_rate=rate)
    audio = type(song)(np.ascontiguousarray(song.samples[:channels]), rate)
    m = analyze(audio)
    assert m.tempo_bpm == pytest.approx(128.0, rel=0.02)
    assert m.loudness_hop == 0.1
    assert len(m.loudness) == pytest.approx(30.0 / m.loudness_hop, abs=1)


def test_silence_and_empty_audio_have_no_music():
    from inpaint_studio.core.audio import Audio

    for audio in (Audio(np.zeros((2, 44100 * 8), np.float32), 44100),
                  Audio(np.zeros((1, 0), np.float32), 44100)):
        m = analyze(audio)
        assert not m.steady_beat and m.beats == [] and m.key is None
        assert {lab for _, _, lab in m.chords} <= {"N"}
