"""`inpaint-studio inpaint` end to end in a subprocess: real ffmpeg decode and encode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inpaint_studio", "inpaint", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_inpaint_writes_two_versions_and_result_json(tmp_path):
    song = tmp_path / "song.flac"
    encode_audio(synth_song(seconds=40.0, seed=9), song)
    out = tmp_path / "out"
    proc = _run(str(song), "--start", "16", "--end", "22", "--seed", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "result.json").read_text())
    assert [v["file"] for v in doc["versions"]] == ["version_1.wav", "version_2.wav"]
    assert doc["seed"] == 1 and doc["region"] == [16.0, 22.0]
    assert {"analysis", "total", "decode"} <= set(doc["timings"])
    for v in doc["versions"]:
        assert {"seams", "sources", "metrics", "confidence"} <= set(v)
        audio = load_audio(out / v["file"])
        assert audio.sample_rate == 44100 and audio.channels == 2
        assert abs(audio.duration - 40.0) < 1e-3
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


def test_inpaint_reports_an_unfillable_region_and_a_missing_file(tmp_path, capsys):
    # in this process, like the test below: the subprocess and its exit code are shown above
    from inpaint_studio.cli import main

    song = tmp_path / "song.wav"
    encode_audio(synth_song(seconds=20.0, seed=2), song)
    code = main(["inpaint", str(song), "--start", "5", "--end", "6", "--out", str(tmp_path / "o")])
    assert code == 1 and "3–60 s" in capsys.readouterr().err
    assert not (tmp_path / "o" / "result.json").exists()
    code = main(["inpaint", str(tmp_path / "nope.wav"), "--start", "5", "--end", "9", "--out",
                 str(tmp_path)])
    assert code == 2 and "does not exist" in capsys.readouterr().err


def test_inpaint_refuses_an_out_folder_that_would_overwrite_the_song(tmp_path, capsys):
    from inpaint_studio.cli import main

    song = tmp_path / "version_1.wav"  # exactly where the first version would be written
    encode_audio(synth_song(seconds=20.0, seed=2), song)
    before = song.read_bytes()
    code = main(["inpaint", str(song), "--start", "5", "--end", "12", "--out", str(tmp_path)])
    assert code == 2 and "never written" in capsys.readouterr().err
    assert song.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["version_1.wav"]
