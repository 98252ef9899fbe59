"""Fixtures for the window tests: fresh settings, a worker pool, a shown main window, a loaded
song, and mouse helpers that drive the plots through real Qt events."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from inpaint_studio import app as composition
from inpaint_studio.gui import theme
from inpaint_studio.services.job_controller import JobStore
from inpaint_studio.services.settings import Settings
from inpaint_studio.services.worker import WorkerPool
from tests.jobs.support import engine_pool


def make_window(settings, workers, interactive=False):
    """A bare main window over fresh models, built the way the app builds it."""
    return composition.build_window(composition.build_models(settings, workers),
                                    interactive=interactive)


def models_of(window) -> composition.Models:
    return composition.Models(window.settings, window.workers, window.document, window.region,
                              window.playhead, window.loader)


def services_for(window, tmp_path, **options) -> composition.Services:
    """The app's services over `window`'s models, kept inside `tmp_path`: a job store, cache
    and autosave of their own, no sound device unless a player is given, no musical map unless
    `map_songs=True`."""
    options.setdefault("job_store", JobStore(tmp_path / "jobs.sqlite3"))
    options.setdefault("cache_dir", tmp_path / "cache")
    options.setdefault("autosave_dir", tmp_path / "autosave")
    options.setdefault("audio_output", False)
    # Mapping each song costs a process and its analysis: only tests/gui/test_music_map.py asks
    options.setdefault("map_songs", False)
    options.setdefault("parent", window)  # as the app does: the window owns its services
    if "backends" not in options:  # a local server started by the window shares the engine
        options.setdefault("server_engine_pool", engine_pool())  # processes of this process
    return composition.build_services(models_of(window), **options)


def install_all(window, tmp_path, *, resume=False, restore_prompt=False, audio_output=False,
                **options):
    """The whole editor over `window` as the app wires it: (services, features)."""
    services = services_for(window, tmp_path, audio_output=audio_output, **options)
    features = composition.install_features(window, services, resume=resume,
                                            restore_prompt=restore_prompt,
                                            audio_output=audio_output)
    return services, features


@pytest.fixture
def settings(tmp_path, qapp):
    """Settings in a fresh INI file, never the user's (napari's `_fresh_settings` idea)."""
    return Settings(tmp_path / "settings.ini")


@pytest.fixture
def workers(qapp):
    pool = WorkerPool()
    yield pool
    pool.cancel_all()
    assert pool.wait_all(10000)


@pytest.fixture
def window(qtbot, settings, workers):
    theme.configure_pyqtgraph()
    win = make_window(settings, workers)
    qtbot.addWidget(win)
    win.resize(1200, 700)
    win.show()
    qtbot.waitExposed(win)
    return win


def load(qtbot, window, path, timeout=20000):
    with qtbot.waitSignal(window.document.loaded, timeout=timeout):
        window.open_file(path)
    qtbot.wait(10)
    return window


@pytest.fixture
def loaded(qtbot, window, audio_file):
    """The window with a 20 s stereo FLAC fully loaded."""
    return load(qtbot, window, audio_file(".flac", seconds=20.0))


def to_viewport(plot_widget, seconds: float, y: float = 0.0) -> QPoint:
    """Viewport pixel of the data point (seconds, y) of `plot_widget`."""
    vb = plot_widget.getPlotItem().getViewBox()
    scene = vb.mapViewToScene(QPointF(seconds, y))
    return plot_widget.mapFromScene(scene)


def drag(qtbot, plot_widget, t0: float, t1: float, y: float = 0.0, steps: int = 6) -> None:
    """Press at t0, move in steps to t1, release: a real mouse drag on the plot's viewport."""
    vp = plot_widget.viewport()
    p0, p1 = to_viewport(plot_widget, t0, y), to_viewport(plot_widget, t1, y)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p0)
    for i in range(1, steps + 1):
        qtbot.wait(20)  # pyqtgraph drops mouse moves closer than 10 ms apart
        p = p0 + (p1 - p0) * (i / steps)
        QTest.mouseMove(vp, p)
    qtbot.wait(20)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p1)
    qtbot.wait(10)
