"""`inpaint-studio doctor` reports what the machine lacks, with the fix, and fails only when the
app cannot work (here: no ffmpeg)."""

from __future__ import annotations

from inpaint_studio import cli
from inpaint_studio.core.ffmpeg import ffmpeg_path


def test_doctor_reports_tools_and_folders(capsys, studio_home):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    lines = {line.split(":", 1)[0]: line for line in out.splitlines()[1:]}
    assert lines["OK    ffmpeg"].endswith(")") and "ffmpeg version" in lines["OK    ffmpeg"]
    assert f"OK    data folder: {studio_home / 'data'}" in out
    # tests/conftest.py selects keyring's null backend: the doctor must say what that means
    assert "WARN  API key store: no usable system keyring" in out
    assert "MUSICGPT_API_KEY" in lines["WARN  API key store"]
    assert any(key.endswith("audio output") for key in lines)


def test_doctor_fails_without_ffmpeg(capsys, studio_home, monkeypatch, tmp_path):
    monkeypatch.setenv("INPAINT_STUDIO_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    ffmpeg_path.cache_clear()
    try:
        assert cli.main(["doctor"]) == 1
    finally:
        ffmpeg_path.cache_clear()
    captured = capsys.readouterr()
    assert "FAIL  ffmpeg: not found: install ffmpeg" in captured.out
    assert "1 problem(s)" in captured.err


def test_doctor_trusts_the_environment_key_without_showing_it(capsys, studio_home, monkeypatch):
    monkeypatch.setenv("MUSICGPT_API_KEY", "sk-secret-value-123")
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "OK    API key store: MUSICGPT_API_KEY is set" in out
    assert "sk-secret-value-123" not in out


def test_doctor_names_the_session_players_packages(capsys, studio_home, monkeypatch, tmp_path):
    assert cli.main(["doctor"]) == 0
    assert "OK    session player: " in capsys.readouterr().out  # fluidsynth + FluidR3 here
    monkeypatch.setenv("INPAINT_STUDIO_SOUNDFONT", str(tmp_path / "none.sf2"))
    assert cli.main(["doctor"]) == 0  # a warning: the continuation fill still works
    out = capsys.readouterr().out
    assert "WARN  session player: INPAINT_STUDIO_SOUNDFONT points at" in out
