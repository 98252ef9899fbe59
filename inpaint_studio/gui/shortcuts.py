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

    def rows(self) -> list[tuple[str, str]]:
        """(key as the platform writes it, description), sorted by description."""
        return sorted(
            ((QKeySequence(e.key).toString(QKeySequence.SequenceFormat.NativeText), e.description)
             for e in self.entries), key=lambda r: r[1].lower(),
        )  # fmt: skip


class ShortcutsDialog(QDialog):
    """Help ▸ Keyboard shortcuts: a table of every registered shortcut."""

    def __init__(self, registry: ShortcutRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = registry.rows()
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for i, (key, description) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(description))
            self.table.setItem(i, 1, QTableWidgetItem(key))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(480, 420)
