"""`inpaint-studio inpaint --prompt …` routes like the local server: a musical prompt is played
by the session player (real fluidsynth), the plan is printed before the work, each part is
written as version_N.mid beside version_N.wav and result.json carries the plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mido
import pytest

from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_musical_prompt_writes_midi_and_the_plan(tmp_path):
    song = tmp_path / "song.wav"
    encode_audio(synth_song(14.0, bpm=120.0, seed=4), song)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "inpaint_studio", "inpaint", str(song), "--start", "5",
         "--end", "9", "--versions", "1", "--prompt", "classical slow vibe", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, INPAINT_STUDIO_HOME=str(tmp_path / "home")))  # its own map cache
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Will ")
    doc = json.loads((out / "result.json").read_text())
    assert doc["plan"]["action"] != "continue" and doc["plan"]["parts"]
    assert doc["plan"]["description"] == proc.stdout.strip().splitlines()[0] == (
        "Will restyle the region: classical string chords and piano arpeggios (slow vibe) on "
        "the song's chords, song ducked underneath")
    assert "slow vibe" in doc["plan"]["feel"] and doc["plan"]["not_understood"] == []
    assert doc["timings"]["map_from_cache"] == 0.0 and doc["timings"]["map"] > 0  # analysed
    [v] = doc["versions"]
    assert v["file"] == "version_1.wav" and v["midi"] == "version_1.mid"
    assert any(m.type == "note_on" for m in mido.MidiFile(out / "version_1.mid"))
    assert sorted(p.name for p in out.iterdir()) == [  # nothing else: no temp files or folders
        "result.json", "version_1.mid", "version_1.wav"]
