"""Every keyboard shortcut of the app in one registry, so Help ▸ Keyboard shortcuts can list
them all and conflicts are noticed when they are registered, not when a key does nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shortcut:
    key: str  # portable text, e.g. "Ctrl+O"
    description: str
    action: QAction


class ShortcutRegistry:
    """`register(key, description, action)`: `action` is a QAction (its shortcut is set) or a
    callable (a window-wide QAction is made for it). Returns the QAction."""

    def __init__(self, window: QWidget) -> None:
        self._window = window
        self.entries: list[Shortcut] = []

    def register(self, key: str | QKeySequence, description: str,
                 action: QAction | Callable[[], object]) -> QAction:
        seq = QKeySequence(key)
        text = seq.toString(QKeySequence.SequenceFormat.PortableText)
        if not text:
            raise ValueError(f"{key!r} is not a key sequence")
        clash = self.find(text)
        if clash is not None:
            log.warning("shortcut %s of %r also used by %r", text, description, clash.description)
        if isinstance(action, QAction):
            existing = list(action.shortcuts())
            action.setShortcuts(existing + [seq] if seq not in existing else existing)
            if action.parent() is not self._window and action not in self._window.actions():
                self._window.addAction(action)  # so the key works even if no menu shows it
            qaction = action
        else:
            qaction = QAction(description, self._window)
            qaction.setShortcut(seq)
            qaction.triggered.connect(lambda _checked=False, fn=action: fn())
            self._window.addAction(qaction)
        qaction.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.entries.append(Shortcut(text, description, qaction))
        return qaction

    def find(self, key: str | QKeySequence) -> Shortcut | None:
        text = QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)
        return next((e for e in self.entries if e.key == text), None)

    def group(self, action: QAction) -> str:
        """The menu an action is in ("Playback"), or "Other" for a window-wide key."""
        for obj in action.associatedObjects():
            if isinstance(obj, QMenu) and obj.title():
                return obj.title().replace("&", "")
        return "Other"

    def rows(self) -> list[tuple[str, str, str]]:
        """(group, keys as the platform writes them, description): one row per action, its
        keys together ("Ctrl+0, F"), grouped by menu in the menu bar's order, then by
        description."""
        keys: dict[QAction, list[str]] = {}
        described: dict[QAction, str] = {}
        for e in self.entries:
            native = QKeySequence(e.key).toString(QKeySequence.SequenceFormat.NativeText)
            keys.setdefault(e.action, [])
            if native not in keys[e.action]:
                keys[e.action].append(native)
            described.setdefault(e.action, e.description)
        menus = [a.text().replace("&", "") for a in self._menu_bar_actions()]
        rows = [(self.group(a), ", ".join(k), described[a]) for a, k in keys.items()]

        def order(row: tuple[str, str, str]) -> tuple[int, str]:
            group = row[0]
            return (menus.index(group) if group in menus else len(menus), row[2].lower())

        return sorted(rows, key=order)

    def _menu_bar_actions(self) -> list[QAction]:
        bar = self._window.findChild(QMenuBar)
        return list(bar.actions()) if bar is not None else []


class ShortcutsDialog(QDialog):
    """Help ▸ Keyboard shortcuts: a table of every registered shortcut."""

    def __init__(self, registry: ShortcutRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = registry.rows()
        groups = list(dict.fromkeys(g for g, _k, _d in rows))
        self.table = QTableWidget(len(rows) + len(groups), 2, self)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.group_rows: list[int] = []  # the rows that head a group (its menu's name)
        r, last = 0, None
        for group, key, description in rows:
            if group != last:  # a heading row: the menu's name in bold
                heading = QTableWidgetItem(group)
                font = heading.font()
                font.setBold(True)
                heading.setFont(font)
                self.table.setItem(r, 0, heading)
                self.table.setItem(r, 1, QTableWidgetItem(""))
                self.group_rows.append(r)
                r, last = r + 1, group
            self.table.setItem(r, 0, QTableWidgetItem(description))
            self.table.setItem(r, 1, QTableWidgetItem(key))
            r += 1
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(480, 420)
