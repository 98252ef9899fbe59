"""The history list: every edit of the song, the applied ones above the ones that can be redone.

Clicking a row moves the song to the state after that edit (undoing or redoing as many steps as
needed); the first row is the original song, as opened."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from inpaint_studio.gui import theme
from inpaint_studio.services.edit_session import EditSession


class HistoryView(QWidget):
    """A list over an `EditSession`'s history; `jump_requested(position)` when a row is picked."""

    jump_requested = Signal(int)

    def __init__(self, session: EditSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.list = QListWidget()
        self.list.setObjectName("history-list")
        self.list.itemActivated.connect(self._picked)
        self.list.itemClicked.connect(self._picked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        session.history_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        position = self.session.position
        opened = QListWidgetItem("Original (as opened)")
        opened.setData(Qt.ItemDataRole.UserRole, 0)
        self.list.addItem(opened)
        for i, edit in enumerate(self.session.entries(), start=1):
            item = QListWidgetItem(edit.label)
            item.setData(Qt.ItemDataRole.UserRole, i)
            if i > position:  # can be redone
                item.setForeground(QBrush(QColor(theme.MUTED)))
                font = QFont(item.font())
                font.setItalic(True)
                item.setFont(font)
            self.list.addItem(item)
        self.list.setCurrentRow(position)
        self.list.blockSignals(False)

    def rows(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _picked(self, item: QListWidgetItem) -> None:
        target = int(item.data(Qt.ItemDataRole.UserRole))
        if target != self.session.position:
            self.jump_requested.emit(target)
