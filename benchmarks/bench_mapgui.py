"""The musical map in the editor: how long the GUI event loop stalls while a song's map is
computed after it has loaded (in the spawned analysis process, and, for comparison, on the
worker thread), how long after loading the map arrives, and how soon a reopened song shows its
map from the cache (looked up as the song starts loading). Each measure runs the whole editor
(app.build_editor) in a fresh process on a synthesised 4-minute song (core/synth.py); the floor
is the same 5 ms timer with nothing running. Needs a quiet machine: other processes delay the
timer too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from common import figure

ROOT = Path(__file__).resolve().parents[1]
MINUTES = 4


def child(path: str, in_process: bool) -> None:
    """In a fresh process: open `path` twice in the whole editor; report the stalls while the
    map is computed, when it arrived, and when it arrived on the reopen (cache)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    import numpy as np
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    home = Path(tempfile.mkdtemp(prefix="inpaint-bench-map-"))
    os.environ["INPAINT_STUDIO_HOME"] = str(home)
    app = QApplication([])
    from inpaint_studio import app as composition
    from inpaint_studio.services.settings import Settings
    from inpaint_studio.services.worker import WorkerPool

    workers = WorkerPool()
    editor = composition.build_editor(Settings(home / "s.ini"), workers, screenshot=True,
                                      cache_dir=home / "cache")
    service = editor.services.music_map
    service.in_process = in_process
    window = editor.window
    window.resize(1600, 900)
    window.show()
    app.processEvents()
    clock = QElapsedTimer()
    clock.start()
    gaps: list[float] = []
    last = [0.0]
    mapping = [False]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        if mapping[0]:
            gaps.append(now - last[0])
        last[0] = now

    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.setInterval(5)
    ticker.timeout.connect(tick)
    ticker.start()
    mapping[0] = True  # the floor: one second with nothing running
    idle_loop = QEventLoop()
    QTimer.singleShot(1000, idle_loop.quit)
    idle_loop.exec()
    idle = np.maximum(np.asarray(gaps[1:]) - 5.0, 0.0)
    gaps.clear()
    mapping[0] = False
    times: dict[str, float] = {}

    def loaded() -> None:
        times["loaded"] = clock.nsecsElapsed() / 1e9
        if "ready" not in times:  # the stalls that count: while the map is computed
            mapping[0] = True
            last[0] = clock.nsecsElapsed() / 1e6
        if "ready" in times:
            loop.quit()

    def ready(_result: object) -> None:
        times["ready"] = clock.nsecsElapsed() / 1e9
        mapping[0] = False
        if "loaded" in times:
            loop.quit()

    window.document.loaded.connect(loaded)
    service.ready.connect(ready)
    result: dict[str, float] = {}
    for run in ("first", "reopen"):
        times.clear()
        loop = QEventLoop()
        times["open"] = clock.nsecsElapsed() / 1e9
        window.open_file(path)
        loop.exec()
        app.processEvents()
        # after the waveform is complete (negative: shown while the song still decoded)
        result[f"{run}_map_after_load_s"] = times["ready"] - times["loaded"]
        result[f"{run}_map_after_open_s"] = times["ready"] - times["open"]
        if run == "first":
            stalls = np.maximum(np.asarray(gaps[1:]) - 5.0, 0.0) if len(gaps) > 1 else np.zeros(1)
            result.update(stall_max_ms=float(stalls.max()),
                          stall_p99_ms=float(np.percentile(stalls, 99)))
        gaps.clear()
    result.update(idle_max_ms=float(idle.max()), idle_p99_ms=float(np.percentile(idle, 99)),
                  analysed=float(service.analysed))
    ticker.stop()
    window.close()
    editor.services.shutdown()
    workers.cancel_all()
    workers.wait_all(10000)
    shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(result))


def _song() -> Path:
    from inpaint_studio.core.encode import encode_audio
    from inpaint_studio.core.synth import synth_song

    path = Path(tempfile.gettempdir()) / f"inpaint-bench-map-{MINUTES}min.flac"
    if not path.exists():
        encode_audio(synth_song(MINUTES * 60.0, bpm=124.0, seed=3), path)
    return path


def _measure(path: Path, in_process: bool) -> dict[str, float]:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(path),
                           "process" if in_process else "thread"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"map benchmark failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run() -> Iterator[dict]:
    path = _song()
    for where in ("process", "thread"):
        r = _measure(path, where == "process")
        tag = f"mapgui.{MINUTES}min.{where}"
        main = where == "process"  # what the app does; the thread figures are a comparison
        yield figure(f"{tag}.stall_max", r["stall_max_ms"], "ms", "<= 50" if main else "info",
                     r["stall_max_ms"] <= 50 if main else None)
        yield figure(f"{tag}.stall_p99", r["stall_p99_ms"], "ms", "<= 15" if main else "info",
                     r["stall_p99_ms"] <= 15 if main else None)
        yield figure(f"{tag}.stall_idle_max", r["idle_max_ms"], "ms", "floor", None)
        yield figure(f"{tag}.map_after_load", r["first_map_after_load_s"], "s", "info", None)
        yield figure(f"{tag}.reopen_map_after_load", r["reopen_map_after_load_s"], "s",
                     "<= 0.1 (negative: before the waveform was complete)",
                     r["reopen_map_after_load_s"] <= 0.1)
        yield figure(f"{tag}.reopen_map_after_open", r["reopen_map_after_open_s"], "s", "info",
                     None)
        yield figure(f"{tag}.analyses", r["analysed"], "count", "== 1 (reopen from cache)",
                     r["analysed"] == 1)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3] == "process")
    else:
        for fig in run():
            print(json.dumps(fig), flush=True)
