"""Help ▸ Keyboard shortcuts lists every shortcut: build the window the way the app does (every
feature installed by the composition root), then find every key bound anywhere in it and check
that the shortcuts registry, which the dialog shows, has it."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QTableWidget

from inpaint_studio import app as composition
from inpaint_studio.gui.main_window import MainWindow
from inpaint_studio.services.settings import Settings
from inpaint_studio.services.worker import WorkerPool


def _text(seq: QKeySequence) -> str:
    return seq.toString(QKeySequence.SequenceFormat.PortableText)


def _bound_keys(window: MainWindow) -> dict[str, str]:
    """Every key sequence bound in the window → what binds it."""
    bound: dict[str, str] = {}
    actions = set(window.findChildren(QAction)) | set(window.actions())
    for menu_action in window.menuBar().actions():
        if menu_action.menu() is not None:
            actions |= set(menu_action.menu().actions())
    for action in actions:
        for seq in action.shortcuts():
            if not seq.isEmpty():
                bound[_text(seq)] = f"action {action.text()!r}"
    for shortcut in window.findChildren(QShortcut):
        if not shortcut.key().isEmpty():
            bound[_text(shortcut.key())] = f"QShortcut {shortcut.objectName()!r}"
    for button in window.findChildren(QAbstractButton):
        if not button.shortcut().isEmpty():
            bound[_text(button.shortcut())] = f"button {button.text()!r}"
    return bound


@pytest.fixture
def app_window(qtbot, studio_home):
    """The window as the app builds it: every feature installed by the composition root."""
    workers = WorkerPool()
    editor = composition.build_editor(Settings(), workers)
    window = editor.window
    qtbot.addWidget(window)
    yield window
    window.close()
    editor.services.shutdown()
    workers.cancel_all()
    workers.wait_all(10000)


def test_every_bound_key_is_in_the_shortcuts_dialog(app_window):
    window = app_window
    registered = {entry.key for entry in window.shortcuts.entries}
    bound = _bound_keys(window)
    assert bound, "no shortcuts found at all: the search is broken"
    missing = {key: what for key, what in bound.items() if key not in registered}
    assert missing == {}, f"bound but not in Help ▸ Keyboard shortcuts: {missing}"

    dialog = window.show_shortcuts()
    table = dialog.findChild(QTableWidget)
    shown = {table.item(r, 1).text() for r in range(table.rowCount())} | {
        table.item(r, 0).text() for r in range(table.rowCount())}
    for entry in window.shortcuts.entries:
        assert entry.description in shown
    dialog.close()

    # The search does find a key bound behind the registry's back.
    stray = QAction("Stray", window)
    stray.setShortcut(QKeySequence("Ctrl+Alt+Shift+F12"))
    window.addAction(stray)
    assert "Ctrl+Alt+Shift+F12" in _bound_keys(window)


def _readme_keys() -> set[str]:
    """The keys in the README's shortcut table (`a / b` and `a or b` list several)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = text.split("### Keyboard shortcuts", 1)[1].split("\n#", 1)[0]
    keys: set[str] = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("Key", "---"):
            continue
        keys |= {k.strip() for k in re.split(r" / | or ", cells[0]) if k.strip()}
    return keys


def test_the_readme_shortcut_table_matches_the_app(app_window):
    registered = {_text(QKeySequence(e.key)) for e in app_window.shortcuts.entries}
    in_readme = _readme_keys()
    assert len(in_readme) > 20, "the README's table was not found"
    assert registered - in_readme == set(), "missing from the README's shortcut table"
    assert in_readme - registered == set(), "in the README's table but not in the app"
