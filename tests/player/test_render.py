"""Rendering with the General MIDI SoundFont: a soft part sits 6–15 dB under the song by
BS.1770 loudness, a loud one within 3 dB of it, nothing clips, and outside the region the song
is untouched. The SoundFont and the FluidSynth program are required: without them these tests
fail naming the apt packages."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.bs1770 import integrated_loudness
from inpaint_studio.core.cancel import Cancelled, CancelToken
from inpaint_studio.player import render as R
from inpaint_studio.player.compose import compose
from inpaint_studio.player.plan import parse
from tests.player.harmony import song

RATE = 44100


@pytest.fixture(scope="module")
def backing():
    """A 40-s song in A minor played by the SoundFont itself (piano, bass and drums on the
    harmony of tests/player/harmony.py), at about -14 LUFS, peaking near full scale."""
    h = song(bars=20)
    notes = compose(parse("pop piano bass and drums"), h, 0.0, 40.0, seed=9)
    x = R.synthesize(notes, RATE, 0.0, 40.0)
    x *= 10 ** ((-14.0 - integrated_loudness(x, RATE)) / 20)
    x *= min(1.0, 0.99 / np.max(np.abs(x)))
    return h, Audio(x.astype(np.float32), RATE)


def test_soundfont_is_found_or_the_message_names_the_package(monkeypatch):
    path = R.find_soundfont()  # fails here, naming fluid-soundfont-gm, when none is installed
    assert path.is_file()
    monkeypatch.setattr(R, "SEARCH", ())
    monkeypatch.delenv(R.ENV, raising=False)
    with pytest.raises(R.SoundFontMissing, match="apt-get install fluid-soundfont-gm"):
        R.find_soundfont()
    monkeypatch.setenv(R.ENV, "/nowhere/gm.sf2")
    with pytest.raises(R.SoundFontMissing, match="/nowhere/gm.sf2"):
        R.find_soundfont()
    monkeypatch.setenv(R.ENV, str(path))
    assert R.find_soundfont() == path


def test_fluidsynth_is_found_or_the_message_names_the_package(monkeypatch):
    program = R.find_fluidsynth()  # fails here, naming the apt package, when not installed
    assert program
    monkeypatch.setattr(R, "FLUIDSYNTH", "fluidsynth-not-installed-here")
    with pytest.raises(R.SynthMissing, match="sudo apt-get install fluidsynth"):
        R.find_fluidsynth()
    with pytest.raises(R.SynthMissing, match="apt-get install fluidsynth"):
        R.synthesize([], RATE, 0.0, 1.0)


def test_a_failed_render_reports_fluidsynths_message(tmp_path):
    bad = tmp_path / "bad.sf2"
    bad.write_bytes(b"not a soundfont at all")
    h = song(bpm=120.0, offset=0.0)
    notes = compose(parse("add piano"), h, 0.0, 2.0, seed=1)
    with pytest.raises(R.SynthFailed, match="(?i)soundfont") as err:
        R.synthesize(notes, RATE, 0.0, 2.0, soundfont=bad)
    assert str(bad) in str(err.value)


def test_a_render_stops_when_cancelled():
    h = song(bars=300)  # ten minutes of backing: a render that runs for a while
    notes = compose(parse("pop piano bass and drums"), h, 0.0, 600.0, seed=3)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):  # before it starts
        R.synthesize(notes, RATE, 0.0, 600.0, token=token)
    token = CancelToken()
    timer = threading.Timer(0.2, token.cancel)
    timer.start()
    try:
        with pytest.raises(Cancelled):  # while fluidsynth runs: the process is killed
            R.synthesize(notes, RATE, 0.0, 600.0, token=token)
    finally:
        timer.cancel()


def test_synthesis_sounds_the_notes_where_they_are():
    h = song(bpm=120.0, offset=0.0)
    notes = [n for n in compose(parse("add piano"), h, 1.0, 3.0, seed=1, humanize=False)]
    x = R.synthesize(notes, RATE, 0.0, 4.0)
    assert x.shape == (2, 4 * RATE) and x.dtype == np.float32
    rms = lambda a, b: float(np.sqrt(np.mean(x[:, int(a * RATE):int(b * RATE)] ** 2)))  # noqa: E731
    assert rms(0.0, 0.99) < 1e-5  # nothing before the first note
    assert rms(1.0, 2.0) > 1e-3


@pytest.mark.parametrize("prompt,lo,hi", [
    ("Add a soft guitar solo here", -15.0, -6.0),
    ("soft piano chords", -15.0, -6.0),
    ("very soft flute melody", -15.0, -6.0),
    ("add a loud synth lead solo", -3.0, 3.0),
    ("loud brass stabs and drums", -3.0, 3.0),
])
def test_part_levels_follow_the_dynamics(backing, prompt, lo, hi):
    h, audio = backing
    plan = parse(prompt)
    start, end = 10.3, 26.1
    notes = compose(plan, h, start, end, seed=1)
    out = R.render(audio, plan, notes, start, end)
    assert lo <= out.relative_db <= hi, out.relative_db
    assert out.peak <= 1.0 and np.max(np.abs(out.audio.samples)) <= 1.0
    s0, s1 = int(start * RATE), int(end * RATE)
    assert np.array_equal(out.audio.samples[:, :s0], audio.samples[:, :s0])
    assert np.array_equal(out.audio.samples[:, s1:], audio.samples[:, s1:])
    # the part is audibly there: the region changed
    assert np.sqrt(np.mean((out.audio.samples[:, s0:s1] - audio.samples[:, s0:s1]) ** 2)) > 1e-3


@pytest.mark.parametrize("bed", ["kept", "ducked", "none", "percussive-only", "harmonic-only"])
def test_every_bed_mixes_without_clipping(backing, bed):
    h, audio = backing
    plan = parse("add a loud overdriven guitar solo")
    plan.bed = bed
    out = R.render(audio, plan, compose(plan, h, 5.0, 15.0, seed=2), 5.0, 15.0)
    assert out.peak <= 1.0
    region = slice(int(5.5 * RATE), int(14.5 * RATE))
    song_level = integrated_loudness(audio.samples[:, region], RATE)
    bed_level = integrated_loudness(out.bed[:, int(0.5 * RATE):int(9.5 * RATE)], RATE)
    if bed == "kept":
        assert bed_level == pytest.approx(song_level, abs=0.5)
    elif bed == "ducked":
        assert bed_level == pytest.approx(song_level + R.DUCK_DB, abs=1.0)
    elif bed == "none":
        assert not np.isfinite(bed_level)
    else:  # half of the song: quieter than it, still there
        assert song_level - 15 < bed_level < song_level - 0.5


def test_a_song_at_full_scale_is_not_clipped_by_a_loud_part(backing):
    h, audio = backing
    hot = Audio((audio.samples / np.max(np.abs(audio.samples))).astype(np.float32), RATE)
    plan = parse("loud brass stabs and drums")
    out = R.render(hot, plan, compose(plan, h, 8.0, 20.0, seed=1), 8.0, 20.0)
    assert out.peak <= 1.0
