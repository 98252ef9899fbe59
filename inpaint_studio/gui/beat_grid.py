"""The song's musical map drawn on its timelines: bar lines (strong) and beat lines (faint) on
the detail view, and the sections (A, B, A′…) as labelled bands on the overview.

`BeatGridItem` is one graphics item that draws only the lines inside the visible range, and
thins them as the view zooms out so that lines are never closer than a few pixels: beats go
first, then every 2nd, 4th, 8th… bar is kept (counted from bar 1, so the kept bars do not
change while scrolling)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen

from inpaint_studio.gui.plot_items import PlotItems

MIN_BEAT_PX = 6.0  # beat lines closer than this are not drawn
MIN_BAR_PX = 8.0  # bar lines closer than this are thinned (every 2nd, 4th, … bar)
BAR_PEN = (255, 255, 255, 120)
BEAT_PEN = (255, 255, 255, 38)
SECTION_COLOURS = [(100, 181, 246, 40), (255, 183, 77, 40), (129, 199, 132, 40),
                   (186, 104, 200, 40), (240, 98, 146, 40), (77, 208, 225, 40)]


def thin_step(spacing_px: float, minimum_px: float) -> int:
    """The smallest power of two k with k × spacing ≥ minimum (1 when already far enough)."""
    step = 1
    while spacing_px * step < minimum_px and step < 1 << 20:
        step *= 2
    return step


def _cosmetic(rgba: tuple[int, int, int, int]) -> QPen:
    pen = QPen(QColor(*rgba))
    pen.setCosmetic(True)
    pen.setWidthF(1.0)
    return pen


class BeatGridItem(pg.GraphicsObject):
    """Bar and beat lines over the waveform of one plot (add with ignoreBounds=True)."""

    def __init__(self) -> None:
        super().__init__()
        self.beats = np.empty(0)
        self.bars = np.empty(0)
        self._beat_s = 0.0
        self._bar_pen = _cosmetic(BAR_PEN)
        self._beat_pen = _cosmetic(BEAT_PEN)
        self.drawn: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0))  # last paint
        self.setZValue(5)  # over the waveform, under the region and the playhead
        self.setAcceptedMouseButtons(pg.QtCore.Qt.MouseButton.NoButton)

    def set_grid(self, beats: Sequence[float], downbeats: Sequence[float]) -> None:
        """Show these beats and bar lines (seconds); empty lists remove the grid."""
        self.prepareGeometryChange()
        self.bars = np.asarray(downbeats, dtype=float)
        downs = set(np.round(self.bars, 6).tolist())
        self.beats = np.asarray([b for b in beats if round(b, 6) not in downs], dtype=float)
        self._beat_s = float(np.median(np.diff(beats))) if len(beats) > 1 else 0.0
        self.update()

    def visible_lines(self, x0: float, x1: float, width_px: float
                      ) -> tuple[np.ndarray, np.ndarray]:
        """(bar lines, beat lines) to draw for the range x0..x1 shown over `width_px`."""
        if x1 <= x0 or width_px <= 0 or len(self.bars) == 0:
            return np.empty(0), np.empty(0)
        px_per_s = width_px / (x1 - x0)
        bar_s = float(np.median(np.diff(self.bars))) if len(self.bars) > 1 else x1 - x0
        step = thin_step(bar_s * px_per_s, MIN_BAR_PX)
        i0, i1 = np.searchsorted(self.bars, [x0, x1])
        idx = np.arange(i0, i1)
        bars = self.bars[idx[idx % step == 0]]
        beats = np.empty(0)
        if step == 1 and self._beat_s * px_per_s >= MIN_BEAT_PX and len(self.beats):
            j0, j1 = np.searchsorted(self.beats, [x0, x1])
            beats = self.beats[j0:j1]
        return bars, beats

    # -- QGraphicsItem -------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        vb = self.getViewBox()
        if vb is None or len(self.bars) == 0:
            return QRectF()
        return vb.viewRect()

    def viewRangeChanged(self) -> None:  # noqa: N802 - pyqtgraph hook
        self.prepareGeometryChange()
        self.update()

    def paint(self, painter: QPainter, *args: object) -> None:
        vb = self.getViewBox()
        if vb is None or len(self.bars) == 0:
            return
        rect = vb.viewRect()
        bars, beats = self.visible_lines(rect.left(), rect.right(), vb.width())
        self.drawn = (bars, beats)
        top, bottom = rect.top(), rect.bottom()
        for pen, xs in ((self._beat_pen, beats), (self._bar_pen, bars)):
            if len(xs):
                painter.setPen(pen)
                painter.drawLines([QLineF(x, top, x, bottom) for x in xs.tolist()])


class SectionBands(PlotItems):
    """The sections of a song as labelled bands in one plot (the overview)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        super().__init__(plot)
        self.sections: list[tuple[float, float, str]] = []

    def show(self, sections: Sequence[tuple[float, float, str]]) -> None:
        self.clear()
        self.sections = list(sections)
        if len(self.sections) <= 1:  # one section is the whole song: nothing to tell apart
            return
        colours: dict[str, tuple[int, int, int, int]] = {}
        vb = self.plot.getViewBox()
        top = vb.viewRange()[1][1]
        for start, end, label in self.sections:
            base = label.rstrip("′'")
            colour = colours.setdefault(base, SECTION_COLOURS[len(colours) % len(SECTION_COLOURS)])
            band = pg.LinearRegionItem((start, end), movable=False, brush=pg.mkBrush(*colour),
                                       pen=pg.mkPen((255, 255, 255, 60)))
            band.setZValue(-10)
            band.setToolTip(f"Section {label}")
            text = pg.TextItem(label, color=(230, 230, 230), anchor=(0, 0))
            text.setPos(start, top)
            text.setZValue(12)
            self.add(band)
            self.add(text)

    def clear(self) -> None:
        super().clear()
        self.sections = []
