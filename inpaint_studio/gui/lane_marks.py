"""Marks drawn on a version's lane: the spans where it differs from the original, and the seams
of the region it was made for."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg

CHANGED_FILL = (129, 199, 132, 60)
CHANGED_EDGE = (129, 199, 132, 160)
SEAM_PEN = pg.mkPen((255, 255, 255, 150), width=1, style=pg.QtCore.Qt.PenStyle.DashLine)


class LaneMarks:
    """Owns the items it adds to one lane's plot, so they can be replaced or removed."""

    def __init__(self, plot: Any) -> None:
        self.plot = plot
        self.items: list[Any] = []

    def show(self, changed: list[tuple[float, float]], seams: list[float]) -> None:
        self.clear()
        for start, end in changed:
            item = pg.LinearRegionItem((start, end), movable=False, brush=CHANGED_FILL,
                                       pen=pg.mkPen(CHANGED_EDGE))
            item.setZValue(-5)
            item.setToolTip("This version differs from the original here")
            self.plot.addItem(item, ignoreBounds=True)
            self.items.append(item)
        for t in seams:
            line = pg.InfiniteLine(t, angle=90, movable=False, pen=SEAM_PEN)
            self.plot.addItem(line, ignoreBounds=True)
            self.items.append(line)

    def clear(self) -> None:
        for item in self.items:
            self.plot.removeItem(item)
        self.items = []
