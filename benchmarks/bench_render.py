"""Drawing the waveform: the time of one frame of the detail view (re-query the pyramid, rebuild
the curves, paint the viewport) at full view, 60 s, 5 s and sample level, and while panning, on a
60-minute song; and full view 60 min ÷ 10 min (the cost must not grow with the song's length).

Uses the real window offscreen at 1600×900 and the cached songs of bench_load."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from bench_load import bench_song  # noqa: E402
from common import figure  # noqa: E402

FRAMES = 40


def _window():
    from PySide6.QtWidgets import QApplication

    from inpaint_studio import app as composition
    from inpaint_studio.gui import theme
    from inpaint_studio.services.settings import Settings
    from inpaint_studio.services.worker import WorkerPool

    app = QApplication.instance() or QApplication([])
    theme.apply(app)
    settings = Settings(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{os.getpid()}.ini")
    window = composition.build_window(composition.build_models(settings, WorkerPool()),
                                      interactive=False)
    window.resize(1600, 900)
    window.show()
    app.processEvents()
    return app, window


def _load(app, window, path: Path) -> None:
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()  # not app.quit(): in Qt 6 that closes every window
    window.document.loaded.connect(loop.quit)
    window.open_file(path)
    loop.exec()
    window.document.loaded.disconnect(loop.quit)
    for _ in range(3):
        app.processEvents()
    assert window.isVisible() and window.document.state == "ready"


def _frames(window, move: Callable[[int], None]) -> np.ndarray:
    """Milliseconds per frame: `move(i)` changes the view, then the viewport paints."""
    viewport = window.detail.plot_widget.viewport()
    times = []
    for i in range(FRAMES + 3):
        t0 = time.perf_counter()
        move(i)
        viewport.repaint()
        times.append((time.perf_counter() - t0) * 1000)
    return np.asarray(times[3:])  # the first frames warm caches up


def _scenarios(window) -> dict[str, np.ndarray]:
    d = window.detail
    duration = window.document.duration
    rate = window.document.sample_rate
    rng = np.random.default_rng(1)
    starts = rng.uniform(0, duration - 61, FRAMES + 3)

    def at(width: float) -> Callable[[int], None]:
        return lambda i: d.set_view(starts[i], starts[i] + width)

    def full(i: int) -> None:
        d.fit()
        d.curves.refresh(force=True)

    def pan(i: int) -> None:
        x0 = 600.0 + i * 3.0  # a 60 s view moving by 5 % per frame, like a drag or a scroll
        d.set_view(x0, x0 + 60.0)

    return {
        "full": _frames(window, full),
        "60s": _frames(window, at(60.0)),
        "5s": _frames(window, at(5.0)),
        "samples": _frames(window, at(800 / rate)),
        "panning": _frames(window, pan),
    }


def run() -> Iterator[dict]:
    app, window = _window()
    _load(app, window, bench_song(10))
    full_10 = _frames(window, lambda i: (window.detail.fit(),
                                         window.detail.curves.refresh(force=True)))  # fmt: skip
    _load(app, window, bench_song(60))
    results = _scenarios(window)
    for name, ms in results.items():
        med, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
        yield figure(f"render.60min.{name}.median", med, "ms", "<= 8", med <= 8)
        yield figure(f"render.60min.{name}.p95", p95, "ms", "<= 16", p95 <= 16)
    ratio = float(np.median(results["full"]) / np.median(full_10))
    yield figure("render.full_view.60min_vs_10min", ratio, "x", "<= 2", ratio <= 2)
    # The floor: the same frame with the waveform hidden (ruler, region, playhead, background),
    # so a busy machine shows up here too.
    window.detail.curves.peaks = None  # refresh() now draws nothing
    for item in window.detail.curves.envelopes:
        item.setVisible(False)
    empty = _frames(window, lambda i: window.detail.set_view(100.0 + i, 160.0 + i))
    yield figure("render.floor_without_waveform.median", float(np.median(empty)), "ms",
                 "floor", None)  # fmt: skip
    window.close()
    window.settings.path.unlink(missing_ok=True)
