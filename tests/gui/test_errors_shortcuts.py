"""Errors reach one place; crashes are logged, then shown naming the log file; every shortcut is
registered and listed in Help ▸ Keyboard shortcuts."""

from __future__ import annotations

import logging
import sys
import threading

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from inpaint_studio import app
from inpaint_studio.gui.errors import CrashReporter, ErrorReporter


def test_report_error_shows_one_dialog_per_message(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    rep = ErrorReporter(parent)
    rep.report("Could not open", "bad file")
    rep.report("Could not open", "bad file")  # the same again: no second dialog
    rep.report("Upload failed", "no network")
    boxes = rep.open_dialogs()
    assert len(boxes) == 2
    assert {b.text() for b in boxes} == {"bad file", "no network"}
    for box in boxes:
        box.accept()
    qtbot.waitUntil(lambda: rep.open_dialogs() == [])
    assert len(rep.history) == 3


def test_uncaught_exceptions_from_any_thread_are_logged_then_shown(qtbot, tmp_path, caplog):
    log_file = str(tmp_path / "app.log")
    crash = CrashReporter(log_file)
    old_sys, old_thread = sys.excepthook, threading.excepthook
    try:
        app.install_exception_hooks(crash.handle)

        def boom():
            raise RuntimeError("worker exploded")

        with caplog.at_level(logging.ERROR, logger="inpaint_studio.errors"):
            t = threading.Thread(target=boom)
            t.start()
            t.join()
            qtbot.waitUntil(lambda: crash._box is not None)
            try:
                raise ValueError("main thread too")
            except ValueError:
                sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook, threading.excepthook = old_sys, old_thread
    assert "worker exploded" in caplog.text and "Traceback" in caplog.text
    assert "main thread too" in caplog.text
    box = crash._box
    assert log_file in box.text() and "worker exploded" in box.text()
    assert crash.count == 2  # both logged, but only one dialog at a time
    box.accept()
    qtbot.waitUntil(lambda: crash._box is None)


def test_logging_goes_to_a_rotating_file(studio_home):
    import logging.handlers

    path = app.setup_logging()
    try:
        logging.getLogger("inpaint_studio.test").warning("hello log")
        for h in logging.getLogger().handlers:
            h.flush()
        assert path.parent == studio_home / "logs"
        assert "hello log" in path.read_text()
        assert any(isinstance(h, logging.handlers.RotatingFileHandler)
                   for h in logging.getLogger().handlers)  # fmt: skip
    finally:
        for h in list(logging.getLogger().handlers):
            if getattr(h, "_inpaint_studio", False):
                logging.getLogger().removeHandler(h)
                h.close()


def test_every_shortcut_is_listed_and_works(qtbot, window):
    hits = []
    action = window.shortcuts.register("Ctrl+Shift+T", "Test the thing", lambda: hits.append(1))
    assert action.shortcut().toString() == "Ctrl+Shift+T"
    QTest.keyClick(window, Qt.Key.Key_T,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert hits == [1]
    dialog = window.show_shortcuts()
    qtbot.addWidget(dialog)
    table = dialog.table
    rows = {(table.item(i, 0).text(), table.item(i, 1).text()) for i in range(table.rowCount())}
    # one row per action (its keys together) and one heading per group, no repeats
    actions = {e.action for e in window.shortcuts.entries}
    assert table.rowCount() == len(actions) + len(dialog.group_rows)
    descriptions = [table.item(i, 0).text() for i in range(table.rowCount())
                    if i not in dialog.group_rows]
    assert len(descriptions) == len(set(descriptions))
    assert ("Fit the whole song", "Ctrl+0, F") in rows
    # grouped by menu, in the menu bar's order, sorted within a group
    groups = [table.item(i, 0).text() for i in dialog.group_rows]
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert groups[: len(groups) - ("Other" in groups)] == [m for m in menus if m in groups]
    bounds = [*dialog.group_rows, table.rowCount()]
    for a, b in zip(bounds, bounds[1:], strict=False):
        block = [table.item(i, 0).text().lower() for i in range(a + 1, b)]
        assert block == sorted(block)
    assert ("Test the thing", "Ctrl+Shift+T") in rows
    for description in ("Open a song", "Zoom in", "Zoom out", "Zoom to region",
                        "Fit the whole song", "Clear the region", "Cancel loading", "Quit",
                        "Show the keyboard shortcuts"):  # fmt: skip
        assert any(d == description for d, _ in rows), description
    assert ("Open a song", "Ctrl+O") in rows
    dialog.close()


def test_a_feature_that_fails_to_install_is_reported_not_fatal(qtbot, window, studio_home,
                                                               monkeypatch):
    from tests.gui.conftest import services_for

    def broken(win, *args, **kwargs):
        raise RuntimeError("no sound today")

    from inpaint_studio.gui import compare_panel

    # app.install_features imports each feature where it builds it
    monkeypatch.setattr(compare_panel, "CompareFeature", broken)
    services = services_for(window, studio_home)
    features = app.install_features(window, services, resume=False, restore_prompt=False,
                                    audio_output=False)
    try:
        assert ("Compare is unavailable", "no sound today") in window.errors.history
        assert features.compare is None  # welcome, jobs and keep are still there
        assert None not in (features.welcome, features.jobs, features.keep)
        assert window.menu("Jobs").actions()  # the jobs feature added its menu entries
    finally:
        window.close()
        services.shutdown()
