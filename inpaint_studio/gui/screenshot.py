"""Rendering the main window to a PNG without a display (`--screenshot`): on an offscreen screen
of the size and scale asked for (`offscreen_platform`), fill the screen with the window, load the
song fully, set the region, frame it, grab the window and write the file atomically."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from inpaint_studio.core.atomic import atomic_path, atomic_write_text
from inpaint_studio.core.region import RegionError
from inpaint_studio.gui.compare_panel import CompareFeature
from inpaint_studio.gui.main_window import MainWindow

LOAD_TIMEOUT_S = 900


def _fail(message: str, code: int = 1) -> int:
    print(f"inpaint-studio --screenshot: {message}", file=sys.stderr)
    return code


def offscreen_platform(pixels: tuple[int, int], scale: float, folder: Path) -> str:
    """Point Qt at an offscreen screen of `pixels` (width, height) drawn at `scale` device pixels
    per point (so the window is laid out in pixels / scale points): sets QT_SCALE_FACTOR and
    returns the QT_QPA_PLATFORM value. Qt's offscreen plugin reads the screen from a JSON file,
    written into `folder` and read once, when the QApplication is made."""
    config = folder / "offscreen-screen.json"
    atomic_write_text(config, json.dumps({"screens": [{
        "name": "screenshot", "x": 0, "y": 0, "width": pixels[0], "height": pixels[1],
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    os.environ["QT_SCALE_FACTOR"] = f"{scale:g}"
    return f"offscreen:configfile={config}"


def wait_until_loaded(window: MainWindow, timeout_s: float = LOAD_TIMEOUT_S) -> str | None:
    """Run the event loop until the song has loaded; the error text when it did not."""
    doc = window.document
    outcome: dict[str, str | None] = {}
    loop = QEventLoop()

    def done(message: str | None) -> None:
        outcome.setdefault("error", message)
        loop.quit()

    doc.loaded.connect(lambda: done(None))
    doc.load_failed.connect(lambda exc: done(str(exc)))
    doc.load_cancelled.connect(lambda: done("loading was cancelled"))
    QTimer.singleShot(int(timeout_s * 1000), lambda: done(f"not loaded after {timeout_s:.0f} s"))
    if doc.state == "ready":
        return None
    loop.exec()
    return outcome.get("error")


def settle(window: MainWindow, timeout_s: float = 60.0) -> None:
    """Let background work that opening the song started in features finish and deliver its
    results (e.g. the lanes of the song's latest finished job) before the window is grabbed."""
    deadline = time.monotonic() + timeout_s
    while window.workers.active and time.monotonic() < deadline:
        window.workers.wait_all(50)
        QApplication.processEvents()


def show_compare(window: MainWindow, compare: CompareFeature | None, hear: int | None,
                 loop: bool) -> str | None:
    """Set what the transport shows as heard (1 Original, 2/3 the versions) and the loop; the error
    text when that cannot be shown (no compare feature, no such version)."""
    if compare is None:
        return "--hear/--loop need the compare feature"
    if hear is not None:
        if hear > 1 and len(compare.versions) < hear - 1:
            return f"--hear {hear}: the song has no finished job with that version"
        compare.select_slot(hear - 1)
    if loop:
        compare.player.set_loop(True)
        region = window.region.region
        if region is not None:  # the playhead where a loop starts playing: inside the region
            compare.player.seek(region.start + min(2.0, region.length / 2))
    return None


def take_screenshot(window: MainWindow, compare: CompareFeature | None, file: str | None,
                    region: tuple[float, float] | None,
                    out: Path, size: tuple[int, int], *, hear: int | None = None,
                    loop: bool = False) -> int:
    """Render the window filling a screen of `size` points (the picture has the screen's
    device pixels) to `out`; 0, or non-zero with the reason on stderr."""
    window.resize(*size)
    window.arrange_docks()  # placed before showing: the features' own placement never counts
    window.show()
    window.resize(*size)
    QApplication.processEvents()
    window.arrange_docks()  # again, sized at the final geometry
    if file:
        window.open_file(file)
        error = wait_until_loaded(window)
        if error:
            return _fail(error)
    elif region:
        return _fail("--region needs a FILE", 2)
    if region:
        try:
            window.region.set(*region)
        except RegionError as exc:
            return _fail(f"--region: {exc}", 2)
        r = window.region.region
        context = max(r.length, 8.0)
        window.detail.set_view(r.start - context, r.end + context)
    settle(window)
    if hear is not None or loop:
        error = show_compare(window, compare, hear, loop)
        if error:
            return _fail(error, 2)
        settle(window)
        end = time.monotonic() + 0.1  # the transport shows the playhead on its next tick
        while time.monotonic() < end:
            QApplication.processEvents()
            time.sleep(0.005)
    for _ in range(5):  # let layouts settle and the plots repaint at their final size
        QApplication.processEvents()
    pixmap = window.grab()
    if pixmap.isNull():
        return _fail("the window could not be rendered")
    if (window.width(), window.height()) != tuple(size):
        print(f"inpaint-studio --screenshot: the window needs {window.width()}x"
              f"{window.height()} points, more than the {size[0]}x{size[1]} of the screen",
              file=sys.stderr)
    try:
        with atomic_path(out, suffix=".part.png") as tmp:
            if not pixmap.save(str(tmp), "PNG"):
                raise OSError(f"could not write {out}")
    except OSError as exc:
        return _fail(str(exc))
    print(out)
    return 0
