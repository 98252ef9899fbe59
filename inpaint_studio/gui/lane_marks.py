"""Marks drawn on a version's lane: the spans where it differs from the original, and the seams
of the region it was made for."""

from __future__ import annotations

import pyqtgraph as pg

from inpaint_studio.gui.plot_items import PlotItems

CHANGED_FILL = (129, 199, 132, 60)
CHANGED_EDGE = (129, 199, 132, 160)
SEAM_PEN = pg.mkPen((255, 255, 255, 150), width=1, style=pg.QtCore.Qt.PenStyle.DashLine)


class LaneMarks(PlotItems):
    """The marks on one lane's plot, replaced as a whole by `show`."""

    def show(self, changed: list[tuple[float, float]], seams: list[float]) -> None:
        self.clear()
        for start, end in changed:
            item = pg.LinearRegionItem((start, end), movable=False, brush=CHANGED_FILL,
                                       pen=pg.mkPen(CHANGED_EDGE))
            item.setZValue(-5)
            item.setToolTip("This version differs from the original here")
            self.add(item)
        for t in seams:
            self.add(pg.InfiniteLine(t, angle=90, movable=False, pen=SEAM_PEN))
