"""`inpaint-studio analyze SONG [--json]` as a user runs it (a subprocess, a real MP3)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song
from tests.musicmap.songs import synth_key

BPM, SEED = 124.0, 5


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "song.mp3"
    encode_audio(synth_song(30.0, bpm=BPM, seed=SEED), path)
    return path


def cli(*args, home):
    env = {**__import__("os").environ, "INPAINT_STUDIO_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "inpaint_studio", "analyze", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_json_has_the_documented_keys_and_values(song, tmp_path):
    out = cli(song, "--json", "-q", home=tmp_path)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["tempo_bpm"] == pytest.approx(BPM, rel=0.02)
    assert d["time_signature"] == "4/4"
    assert d["key"] == synth_key(SEED)[1]
    assert len(d["beats"]) > 40 and all(isinstance(b, float) for b in d["beats"])
    assert set(d["downbeats"]) <= set(d["beats"])
    for start, end, label in d["chords"] + d["sections"]:
        assert 0.0 <= start < end <= 30.0 + 1e-6 and isinstance(label, str)
    assert all(lab == "N" or ":" in lab for _, _, lab in d["chords"])
    # cached by content in the user cache folder: a second run gives the same map
    assert list((tmp_path / "cache" / "musicmap").glob("*.json"))
    again = cli(song, "--json", "-q", home=tmp_path)
    assert json.loads(again.stdout) == d


def test_summary_for_a_person(song, tmp_path):
    out = cli(song, "--no-cache", home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "4/4" in out.stdout and synth_key(SEED)[1] in out.stdout and "BPM" in out.stdout
    assert "features" in out.stderr  # progress
    assert not (tmp_path / "cache" / "musicmap").exists()


def test_not_audio_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a song")
    out = cli(bad, "--json", home=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("error:") and out.stdout == ""
