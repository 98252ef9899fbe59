"""`inpaint-studio --screenshot` end to end, in a subprocess like a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # the command must go offscreen by itself
    return subprocess.run([sys.executable, "-m", "inpaint_studio", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def test_screenshot_of_a_loaded_song_with_a_region(audio_file, tmp_path, qapp):
    song = audio_file(".mp3", seconds=30.0)
    out = tmp_path / "shots" / "window.png"
    proc = _run(str(song), "--screenshot", str(out), "--region", "0:10", "0:15.5")
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 900)
    assert [p.name for p in out.parent.iterdir()] == ["window.png"]  # no temporary left over
    # the region's amber and the waveform's blue are both on screen
    colours = [QColor(image.pixel(x, y)) for x in range(0, 1600, 4) for y in range(0, 900, 4)]
    ambers = [c for c in colours if 30 <= c.hue() <= 50 and c.saturation() > 150]
    blues = [c for c in colours if 190 <= c.hue() <= 210 and c.saturation() > 80]
    assert len(ambers) > 500 and len(blues) > 2000


@pytest.mark.parametrize(
    "make,args,words",
    [("text", [], "is not an audio file"), ("missing", [], "does not exist"),
     ("good", ["--region", "0:10", "0:05"], "ends before it starts"),
     ("good", ["--region", "0:10", "9:00"], "past the end")],
)  # fmt: skip
def test_screenshot_fails_clearly(audio_file, tmp_path, make, args, words):
    song = tmp_path / "song.mp3"
    if make == "text":
        song.write_text("hello\n" * 100)
    elif make == "good":
        song = audio_file(".mp3", seconds=12.0)
    out = tmp_path / "x.png"
    proc = _run(str(song), "--screenshot", str(out), *args)
    assert proc.returncode != 0
    assert words in proc.stderr
    assert not out.exists()


def test_version(qapp):
    proc = _run("--version")
    assert proc.returncode == 0 and "inpaint-studio" in proc.stdout


def test_screenshot_on_a_hidpi_screen_of_a_given_size(tmp_path, qapp):
    """`--size 2048x1400 --scale 2`: laid out in 1024×700 points, drawn with twice the pixels."""
    out = tmp_path / "hidpi.png"
    proc = _run("--screenshot", str(out), "--size", "2048x1400", "--scale", "2")
    assert proc.returncode == 0, proc.stderr
    assert "more than the" not in proc.stderr  # the window fits the screen
    image = QImage(str(out))
    assert (image.width(), image.height()) == (2048, 1400)


@pytest.mark.parametrize("args,words", [(["--size", "1024by700"], "is not WxH"),
                                        (["--scale", "9"], "the scale goes from 1"),
                                        (["--size", "400x300", "--scale", "2"], "at least")])
def test_screenshot_refuses_a_screen_it_cannot_make(tmp_path, qapp, args, words):
    out = tmp_path / "x.png"
    proc = _run("--screenshot", str(out), *args)
    assert proc.returncode == 2
    assert words in proc.stderr
    assert not out.exists()
