"""The first-start layout at 1600×900 with every feature installed: the waveform large, the job
form usable without scrolling (Submit and the cost visible), a slim transport, and the job list,
seam readout and history as tabs under it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QScrollArea

from inpaint_studio.gui import main_window
from tests.gui.conftest import install_all, make_window

AREA = Qt.DockWidgetArea


@pytest.fixture
def full_window(qtbot, settings, workers, studio_home, tmp_path):
    """The window as `--screenshot` builds it (every feature, no audio device), 1600×900:
    (window, services, features)."""
    win = make_window(settings, workers)
    qtbot.addWidget(win)
    services, features = install_all(win, tmp_path)
    win.resize(1600, 900)
    win.restore_state()  # nothing saved yet: the first-start layout
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(50)  # the sizes are set once the window is shown
    yield win, services, features
    services.shutdown()


def _docks(win):
    return {d.windowTitle(): d for d in win.findChildren(main_window.QDockWidget)}


def test_first_start_layout(full_window):
    win, services, features = full_window
    # built as for --screenshot: the sound device is never opened, no audio process started
    assert services.player.engine.output_kind == "null" and not services.player.engine.isolated
    assert features.compare.bar.output_label.text() == ""
    docks = _docks(win)
    assert win.dockWidgetArea(docks["Job"]) == AREA.RightDockWidgetArea
    assert win.dockWidgetArea(docks["Keep"]) == AREA.RightDockWidgetArea
    assert docks["Job"].geometry().top() < docks["Keep"].geometry().top()
    # the job form shows every field, the cost and Submit without scrolling
    form = features.jobs.form
    scroll = form.findChild(QScrollArea)
    assert scroll.verticalScrollBar().maximum() == 0
    assert scroll.horizontalScrollBar().maximum() == 0  # the no-region hint wraps
    for widget in (form.submit_button, form.cost_label, form.prompt, form.title):
        assert not widget.visibleRegion().isEmpty(), widget
    # the transport is a slim bar under the waveform; jobs, seams and history are tabs below it
    transport = docks["Transport"]
    assert win.dockWidgetArea(transport) == AREA.BottomDockWidgetArea
    assert transport.height() < 90
    tabbed = {d.windowTitle() for d in win.tabifiedDockWidgets(docks["Jobs"])}
    assert tabbed == {"Seams", "History"}
    assert transport.geometry().bottom() < docks["Jobs"].geometry().top()
    # the bottom docks span the waveform's width only; the right column runs the full height
    assert docks["Jobs"].geometry().right() < docks["Job"].geometry().left()
    assert docks["Keep"].geometry().bottom() > docks["Jobs"].geometry().top()
    # the waveform keeps the most room
    assert win.detail.height() > 0.4 * win.height()
    assert win.detail.width() > 0.7 * win.width()
    # the seam readout's columns fit their tab (no clipped table at this size)
    features.compare.readout_dock.raise_()
    QApplication.processEvents()
    table = features.compare.table.table
    assert table.horizontalHeader().length() <= table.viewport().width() + 1


def test_a_layout_saved_by_an_older_version_is_replaced(qtbot, settings, workers, studio_home,
                                                        tmp_path):
    win = make_window(settings, workers)
    qtbot.addWidget(win)
    services, _features = install_all(win, tmp_path)
    # the old layout, saved without a version: Keep and History squeezed under the form
    settings.set("window/state", bytes(win.saveState(1).data()))
    win.restore_state()
    docks = _docks(win)
    assert {d.windowTitle() for d in win.tabifiedDockWidgets(docks["Jobs"])} == {"Seams",
                                                                                 "History"}
    services.shutdown()
