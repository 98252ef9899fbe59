"""A layout that lays its items out left to right and starts a new row where the width ends (Qt's
"flow layout" example), for bars whose controls must all stay whole on a narrow screen.

`add_filler(widget)` adds an item that takes the rest of its row and ends it (a status text
that may be cut, e.g. the transport's output line). A widget holding a `FlowLayout` should call
`fit_height(widget)` from its `resizeEvent`: docks and most layouts do not ask for the height
for a width, so the widget fixes its height to what its width needs."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget, QWidgetItem


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._fillers: set[int] = set()  # ids of the items that end their row
        self._spacing = spacing

    # -- QLayout --------------------------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def add_filler(self, widget: QWidget) -> None:
        self.addChildWidget(widget)
        item = QWidgetItem(widget)
        self._fillers.add(id(item))
        self._items.append(item)
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        if 0 <= index < len(self._items):
            item = self._items.pop(index)
            self._fillers.discard(id(item))
            return item
        return None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """One row of everything."""
        m = self.contentsMargins()
        shown = [i for i in self._items if not i.isEmpty() and id(i) not in self._fillers]
        width = sum(i.sizeHint().width() for i in shown) + self._spacing * max(0, len(shown) - 1)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override
        """The widest item (each stays whole), one row high."""
        m = self.contentsMargins()
        size = QSize()
        for item in self._items:
            if not item.isEmpty() and id(item) not in self._fillers:
                size = size.expandedTo(item.minimumSize())
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    # -- placing --------------------------------------------------------------------------------
    def _arrange(self, rect: QRect, apply: bool) -> int:
        """Place the items in `rect` (when `apply`); the height they need."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, row_height = area.x(), area.y(), 0
        row_start = True
        for item in self._items:
            if item.isEmpty():
                continue
            if id(item) in self._fillers:
                width = max(0, area.right() + 1 - x)
                height = item.sizeHint().height()
                if apply:
                    item.setGeometry(QRect(QPoint(x, y), QSize(width, max(height, row_height))))
                row_height = max(row_height, height)
                x, y, row_height, row_start = area.x(), y + row_height + self._spacing, 0, True
                continue
            hint = item.sizeHint()
            if not row_start and x + hint.width() > area.right() + 1:
                x, y, row_height = area.x(), y + row_height + self._spacing, 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            row_height = max(row_height, hint.height())
            row_start = False
        if row_start and y > area.y():
            y -= self._spacing  # the last row was ended by a filler
            bottom = y
        else:
            bottom = y + row_height
        return bottom - rect.y() + m.bottom()


def fit_height(widget: QWidget) -> None:
    """Fix `widget`'s height to what its layout needs at its width (see the module doc)."""
    layout = widget.layout()
    if layout is None or not layout.hasHeightForWidth():
        return
    if not widget.isVisible() or widget.width() < layout.minimumSize().width():
        return  # being moved (a dock re-placed): its width now says nothing
    height = layout.heightForWidth(widget.width())
    if height > 0 and height != widget.height():
        widget.setFixedHeight(height)
