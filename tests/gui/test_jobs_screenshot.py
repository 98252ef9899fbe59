"""`inpaint-studio SONG --screenshot` shows the song's latest finished job as two lanes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.gui import theme
from inpaint_studio.jobs.lifecycle import JobLifecycle
from inpaint_studio.jobs.store import JobStore, Stage
from tests.jobs.support import KEY, counting_server, make_song

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_screenshot_shows_the_finished_job_as_two_lanes(tmp_path, qapp):
    home = tmp_path / "home"
    song = make_song(tmp_path / "song.wav", seconds=20.0)
    store = JobStore(home / "data" / "jobs.sqlite3")
    job = store.create(backend="local", base_url="local", source=str(song),
                       upload_path=str(song), start=6.0, end=11.0,
                       params={"prompt": "warm piano", "num_outputs": 2})
    with counting_server(tmp_path / "server") as (srv, _):
        client = MusicGPTClient(srv.base_url, KEY, min_poll_interval=0.2)
        for _ in JobLifecycle(store, client, home / "cache").run(job.id):
            pass
    assert store.get(job.id).stage is Stage.DONE
    out = tmp_path / "shot.png"
    env = dict(os.environ, INPAINT_STUDIO_HOME=str(home))
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run([sys.executable, "-m", "inpaint_studio", str(song), "--screenshot",
                           str(out), "--region", "6", "11", "--hear", "2", "--loop"],
                          cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    colours = [QColor(image.pixel(x, y)) for x in range(0, image.width(), 4)
               for y in range(0, image.height(), 4)]
    greens = [c for c in colours if 110 <= c.hue() <= 130 and c.saturation() > 40]
    purples = [c for c in colours if 280 <= c.hue() <= 300 and c.saturation() > 40]
    assert len(greens) > 300 and len(purples) > 300  # Version 1 and Version 2 lanes
    # Version 1 heard and the loop on: their buttons in the "on" colour
    on = QColor(theme.CHECKED)
    assert sum(c == on for c in colours) > 100
    # a screenshot opens no sound device (no ALSA/PortAudio chatter, no audio process)
    assert "underrun" not in proc.stderr and "audio process" not in proc.stderr
    assert "playback off" not in proc.stderr


@pytest.mark.slow
def test_screenshot_refuses_a_take_the_song_does_not_have(tmp_path, qapp):
    song = make_song(tmp_path / "song.wav", seconds=8.0)
    env = dict(os.environ, INPAINT_STUDIO_HOME=str(tmp_path / "home"))
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run([sys.executable, "-m", "inpaint_studio", str(song), "--screenshot",
                           str(tmp_path / "x.png"), "--hear", "3"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "no finished job with that version" in proc.stderr
    assert not (tmp_path / "x.png").exists()
