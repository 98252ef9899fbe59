"""First paint first (issue 14): the editor, started the way the user starts it, draws its window
(the shell and the welcome view, plain QtWidgets) before it loads what that window does not need
— numpy, pyqtgraph, the editor's waveform views and lanes, the audio stack, the keyring, the HTTP
stack, the local server (FastAPI, uvicorn, the engine), scipy — and before it starts the audio
process. Each of them is then loaded once start-up goes on after the paint, which shows the names
checked here are the real ones (the test would fail if the editor still loaded them before the
paint). Launched with a song, the window is drawn first too, and the song opens after.

`benchmarks/first_paint.py` is the probe: it runs `inpaint_studio.cli.main` and records
`sys.modules` and the child processes at the first Paint of the main window."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "benchmarks" / "first_paint.py"

# Not loaded before the first paint, and loaded after it by the deferred start-up: the editor's
# views (numpy, pyqtgraph), its services and features, the audio stack; then (no key is set, so
# the local backend is made ready) its server, FastAPI, uvicorn, the engine, requests.
EDITOR = ["numpy", "pyqtgraph", "inpaint_studio.gui.waveform_view", "inpaint_studio.gui.lanes",
          "inpaint_studio.services.document", "inpaint_studio.services.loader",
          "inpaint_studio.core.decode", "inpaint_studio.playback",
          "inpaint_studio.gui.compare_panel", "inpaint_studio.gui.jobs_panel",
          "inpaint_studio.gui.keep_panel"]
DEFERRED = [*EDITOR, "keyring", "requests", "urllib3", "fastapi", "uvicorn", "starlette",
            "inpaint_studio.server", "inpaint_studio.engine", "inpaint_studio.api.client"]
# Not loaded before the first paint; loaded when first used (checked below separately).
ON_USE = ["scipy", "sounddevice"]


def _early(at_paint: set[str], names: list[str]) -> list[str]:
    return [m for m in names if any(n == m or n.startswith(m + ".") for n in at_paint)]


def _probe(tmp_path: Path, *probe_args: str) -> dict:
    out = tmp_path / "paint.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               INPAINT_STUDIO_HOME=str(tmp_path / "home"),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")  # fmt: skip
    env.pop("MUSICGPT_API_KEY", None)
    proc = subprocess.run(
        [sys.executable, str(PROBE), "--out", str(out), "--after-idle", "120",
         "--until", ",".join([*DEFERRED, "<child>"]), *probe_args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def test_heavy_modules_wait_for_the_first_paint(tmp_path):
    record = _probe(tmp_path)
    at_paint = set(record["modules_at_paint"])
    assert "PySide6.QtWidgets" in at_paint and "inpaint_studio.gui.main_window" in at_paint
    early = _early(at_paint, DEFERRED + ON_USE)
    assert early == [], f"loaded before the first paint: {early}"
    assert record["children_at_paint"] == [], "a process was started before the first paint"
    # ...and start-up goes on after the paint: the key lookup (keyring), the local backend made
    # ready (its server, FastAPI, uvicorn, the engine, the HTTP client), the audio process.
    after = set(record["modules_after"])
    assert [m for m in DEFERRED if m not in after] == []
    assert record["children_after"], "the audio process was not started after the first paint"


def test_a_song_on_the_command_line_opens_after_the_first_paint(tmp_path, audio_file):
    """`inpaint-studio SONG`: the window is drawn first (nothing of the editor's audio stack
    loaded), then the editor is built and the song starts opening (its name in the title)."""
    song = audio_file(".flac", seconds=2.0)
    record = _probe(tmp_path, "--until-title", song.name, "--", str(song))
    at_paint = set(record["modules_at_paint"])
    assert _early(at_paint, EDITOR) == []
    assert any(song.name in title for title in record["titles_after"]), record["titles_after"]


def test_the_on_use_modules_are_loaded_when_used():
    """The names in ON_USE are the ones their features load when used: the seam readout
    (scipy) and opening a sound device (sounddevice)."""
    code = """
import json, sys
import numpy as np
from inpaint_studio.core.audio import Audio
from inpaint_studio.playback.mixer import Mixer
from inpaint_studio.playback.output import open_output
from inpaint_studio.services.seam_readout import analyse_versions
from inpaint_studio.core.cancel import CancelToken

before = set(sys.modules)

class Ctx:
    token = CancelToken()

t = np.arange(44100 * 6, dtype=np.float32) / 44100
song = Audio(np.stack([np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32), 44100)
list(analyse_versions(Ctx(), song, {"v1": song}, None))
open_output(Mixer(44100, 2), use_device=True).close()
print(json.dumps({"before": sorted(before), "after": sorted(sys.modules)}))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [m for m in ON_USE if m in seen["before"]] == []
    assert [m for m in ON_USE if m not in seen["after"]] == []
