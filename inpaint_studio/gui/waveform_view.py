"""The two views of the song: `OverviewView` (the whole song, with the visible part marked; drag
or click to move around) and `DetailView` (zoomable to single samples, with the time ruler, the
region you drag out and adjust, the playhead and a scrollbar). Both draw from the peak pyramid.

They are views only: they read `DocumentModel`, `RegionModel` and `PlayheadModel` and call their
setters; nothing here owns state that the rest of the app needs. With the song's musical map
(`set_music_map`) the detail view draws bar and beat lines (beat_grid.py), its ruler can read
bars.beats, dragged region edges snap to the nearest bar or beat (`snap_unit`; Shift drags
freely), a double click selects the bar under the pointer and Shift+double click its section;
the overview shows the sections."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QScrollBar, QVBoxLayout, QWidget

from inpaint_studio.core.region import RegionError
from inpaint_studio.gui import theme
from inpaint_studio.gui.beat_grid import BeatGridItem, SectionBands
from inpaint_studio.gui.time_axis import TimeAxisItem
from inpaint_studio.gui.waveform import WaveformCurves, WaveformViewBox, channel_ticks, y_range
from inpaint_studio.services import music_map
from inpaint_studio.services.document import DocumentModel, PlayheadModel, RegionModel

if TYPE_CHECKING:
    from inpaint_studio.services.music_map import MusicMap

LEFT_AXIS_PX = 28  # every timeline plot uses the same left margin, so their x pixels line up
MIN_VISIBLE_SAMPLES = 16


def make_timeline_plot(viewbox: WaveformViewBox, ruler: bool) -> pg.PlotWidget:
    """A PlotWidget laid out like every timeline in the window (same margins, no buttons)."""
    axes = {"top": TimeAxisItem("top")} if ruler else {}
    widget = pg.PlotWidget(viewBox=viewbox, axisItems=axes)
    plot = widget.getPlotItem()
    plot.hideButtons()
    plot.hideAxis("bottom")
    plot.showAxis("top", ruler)
    left = plot.getAxis("left")
    left.setWidth(LEFT_AXIS_PX)
    left.setStyle(tickLength=0)
    plot.setMenuEnabled(False)
    plot.layout.setContentsMargins(0, 2, 8, 2)
    viewbox.disableAutoRange()
    widget.setBackground(theme.BACKGROUND)
    return widget


def region_item(movable: bool) -> pg.LinearRegionItem:
    item = pg.LinearRegionItem(
        movable=movable, brush=pg.mkBrush(*theme.REGION_FILL),
        hoverBrush=pg.mkBrush(*theme.REGION_HOVER), pen=pg.mkPen(theme.REGION_EDGE, width=2),
        hoverPen=pg.mkPen("#ffe082", width=3), swapMode="sort",
    )  # fmt: skip
    item.setZValue(10)  # above the waveform: the edges must stay visible and grabbable
    item.setVisible(False)
    return item


def playhead_line() -> pg.InfiniteLine:
    line = pg.InfiniteLine(pos=0, angle=90, movable=False, pen=pg.mkPen(theme.PLAYHEAD, width=1))
    line.setZValue(20)
    return line


class _TimelineBase(QWidget):
    def __init__(self, document: DocumentModel, ruler: bool, select: bool, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.viewbox = WaveformViewBox(select=select)
        self.plot_widget = make_timeline_plot(self.viewbox, ruler)
        self.plot = self.plot_widget.getPlotItem()
        self.curves = WaveformCurves(self.plot)
        self.viewbox.sigResized.connect(lambda *_: self.curves.refresh())
        self.viewbox.sigXRangeChanged.connect(lambda *_: self.curves.refresh())
        document.info_known.connect(self._on_source)
        document.peaks_updated.connect(self._on_peaks)
        document.changed.connect(self._on_source)

    def _on_source(self, *_: object) -> None:
        doc = self.document
        self.curves.set_source(doc.peaks, doc.audio)
        channels = doc.peaks.channels if doc.peaks else 2
        lo, hi = y_range(channels)
        self.viewbox.setLimits(yMin=lo, yMax=hi)
        self.viewbox.setYRange(lo, hi, padding=0)
        self.plot.getAxis("left").setTicks([channel_ticks(channels), []])
        self._set_bounds()
        self.curves.refresh(force=True)

    def _on_peaks(self) -> None:
        if self.curves.peaks is not self.document.peaks or self.curves.audio is not (
            self.document.audio
        ):
            self.curves.set_source(self.document.peaks, self.document.audio)
        bounds = (self.document.duration, self.document.sample_rate)
        if bounds != self._bounds:  # while decoding the length rarely changes: skip the work
            self._set_bounds()
        self.curves.refresh()

    _bounds: tuple[float, int] | None = None

    def _set_bounds(self) -> None:
        """Keep the x range inside the song; subclasses add what else follows its length."""
        self._bounds = (self.document.duration, self.document.sample_rate)
        self.viewbox.setLimits(xMin=0, xMax=max(self.document.duration, 1e-3))


class OverviewView(_TimelineBase):
    """The whole song at once. The bright band is what the detail view shows; drag it, click or
    drag anywhere to move there. The region and the playhead are shown too."""

    navigate = Signal(float)  # centre the detail view here (seconds)

    def __init__(self, document: DocumentModel, region: RegionModel, playhead: PlayheadModel,
                 parent=None) -> None:
        super().__init__(document, ruler=False, select=True, parent=parent)
        self.viewbox.setMouseEnabled(x=False, y=False)
        self.viewbox.wheelEvent = lambda ev, axis=None: ev.ignore()  # the detail view scrolls
        self.plot_widget.setFixedHeight(72)
        self.region_item = region_item(movable=False)
        self.plot.addItem(self.region_item, ignoreBounds=True)
        self.viewport = pg.LinearRegionItem(
            movable=True, brush=pg.mkBrush(*theme.VIEWPORT_FILL),
            pen=pg.mkPen(theme.VIEWPORT_EDGE, width=1), hoverBrush=pg.mkBrush(255, 255, 255, 45),
        )  # fmt: skip
        self.viewport.setZValue(15)
        self.plot.addItem(self.viewport, ignoreBounds=True)
        self.playhead = playhead_line()
        self.plot.addItem(self.playhead, ignoreBounds=True)
        self.viewbox.clicked.connect(self.navigate.emit)
        self.viewbox.dragged.connect(lambda _s, now, _f: self.navigate.emit(now))
        region.changed.connect(self._show_region)
        playhead.moved.connect(self.playhead.setValue)
        self.sections = SectionBands(self.plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)

    def set_sections(self, sections: list[tuple[float, float, str]]) -> None:
        """Show the song's sections (start, end, "A") as labelled bands; [] for none."""
        self.sections.show(sections)

    def _set_bounds(self) -> None:
        duration = max(self.document.duration, 1e-3)
        super()._set_bounds()
        self.viewbox.setXRange(0, duration, padding=0)
        self.viewport.setBounds([0, duration])

    def _show_region(self, region) -> None:
        self.region_item.setVisible(region is not None)
        if region is not None:
            self.region_item.setRegion((region.start, region.end))


class DetailView(_TimelineBase):
    """The zoomable waveform: ruler, region (drag to create, drag edges to adjust), playhead."""

    view_changed = Signal(float, float)  # visible (start, end) in seconds

    def __init__(self, document: DocumentModel, region: RegionModel, playhead: PlayheadModel,
                 parent=None) -> None:
        super().__init__(document, ruler=True, select=True, parent=parent)
        self.region = region
        self.region_item = region_item(movable=True)
        self.plot.addItem(self.region_item, ignoreBounds=True)
        self.playhead = playhead_line()
        self.plot.addItem(self.playhead, ignoreBounds=True)
        self.grid = BeatGridItem()
        self.plot.addItem(self.grid, ignoreBounds=True)
        self.ruler: TimeAxisItem = self.plot.getAxis("top")
        self.music_map: MusicMap | None = None
        self.snap_unit: str | None = "bar"  # "bar", "beat" or None; used only with a map
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal)
        self.scrollbar.setEnabled(False)
        self._syncing = False
        self._scale = 1000.0  # scrollbar units per second

        self.viewbox.dragged.connect(self._on_drag_select)
        self.viewbox.clicked.connect(playhead.seek)
        self.viewbox.double_clicked.connect(self.select_around)
        self.viewbox.sigXRangeChanged.connect(self._on_range)
        self.region_item.sigRegionChanged.connect(lambda: self._from_item(final=False))
        self.region_item.sigRegionChangeFinished.connect(lambda: self._from_item(final=True))
        region.changed.connect(self._show_region)
        playhead.moved.connect(self.playhead.setValue)
        self.scrollbar.valueChanged.connect(self._on_scroll)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.scrollbar)

    # -- range ---------------------------------------------------------------------------------
    def _set_bounds(self) -> None:
        duration = max(self.document.duration, 1e-3)
        rate = self.document.sample_rate or 44100
        was_full = self._was_full()
        self._bounds = (self.document.duration, self.document.sample_rate)
        self.viewbox.setLimits(xMin=0, xMax=duration,
                               minXRange=min(duration, MIN_VISIBLE_SAMPLES / rate))  # fmt: skip
        self.region_item.setBounds([0, duration])
        self._scale = min(1000.0 * 1000, 2e9 / duration)  # int32 scrollbar, µs where it fits
        if was_full:
            self.fit()
        self._update_scrollbar()

    def _was_full(self) -> bool:
        bounds = self.viewbox.state["limits"]["xLimits"]
        (x0, x1) = self.visible_range()
        return bounds[1] is None or (x0 <= 1e-9 and x1 >= bounds[1] - 1e-6) or x1 - x0 <= 1.0

    def visible_range(self) -> tuple[float, float]:
        (x0, x1), _ = self.viewbox.viewRange()
        return float(x0), float(x1)

    def set_view(self, start: float, end: float) -> None:
        self.viewbox.setXRange(start, end, padding=0)

    def fit(self) -> None:
        self.set_view(0.0, max(self.document.duration, 1e-3))

    def zoom(self, factor: float, centre: float | None = None) -> None:
        x0, x1 = self.visible_range()
        self.viewbox.zoom_about(factor, (x0 + x1) / 2 if centre is None else centre)

    def zoom_in(self) -> None:
        self.zoom(0.5)

    def zoom_out(self) -> None:
        self.zoom(2.0)

    def zoom_to_region(self) -> None:
        r = self.region.region
        if r is not None:
            margin = max(r.length * 0.1, 0.05)
            self.set_view(r.start - margin, r.end + margin)

    def centre_on(self, seconds: float) -> None:
        x0, x1 = self.visible_range()
        half = (x1 - x0) / 2
        self.set_view(seconds - half, seconds + half)

    def pan(self, fraction: float) -> None:
        x0, x1 = self.visible_range()
        shift = (x1 - x0) * fraction
        self.set_view(x0 + shift, x1 + shift)

    def _on_range(self, *_: object) -> None:
        self._update_scrollbar()
        self.view_changed.emit(*self.visible_range())

    def _update_scrollbar(self) -> None:
        duration = self.document.duration
        x0, x1 = self.visible_range()
        page = int(round((x1 - x0) * self._scale))
        self._syncing = True
        try:
            self.scrollbar.setEnabled(duration > 0)
            self.scrollbar.setRange(0, max(0, int(round(duration * self._scale)) - page))
            self.scrollbar.setPageStep(max(1, page))
            self.scrollbar.setSingleStep(max(1, page // 10))
            self.scrollbar.setValue(int(round(x0 * self._scale)))
        finally:
            self._syncing = False

    def _on_scroll(self, value: int) -> None:
        if self._syncing:
            return
        x0, x1 = self.visible_range()
        start = value / self._scale
        self.set_view(start, start + (x1 - x0))

    # -- the musical map ----------------------------------------------------------------------
    def set_music_map(self, m: MusicMap | None) -> None:
        """Draw `m`'s bar and beat lines and give the ruler its bars (None: no map)."""
        self.music_map = m
        if music_map.has_grid(m):
            assert m is not None
            self.grid.set_grid(m.beats, m.downbeats)
            self.ruler.set_grid(m.beats, m.bar_positions, m.downbeats)
        else:
            self.grid.set_grid([], [])
            self.ruler.set_grid([], [], [])

    def snapping(self) -> bool:
        """Whether a drag snaps now: a grid, a unit, and Shift not held."""
        shift = QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier
        return bool(self.snap_unit and music_map.has_grid(self.music_map) and not shift)

    def snap(self, t: float) -> float:
        """`t` on the nearest bar line or beat (as `snap_unit` says), clamped to the song."""
        assert self.music_map is not None and self.snap_unit
        snapped = music_map.snap(self.music_map, t, self.snap_unit)
        return min(max(snapped, 0.0), self.document.duration)

    def select_around(self, t: float, section: bool = False) -> bool:
        """Make the bar around `t` the region (double click), or its section (Shift+double
        click); False when the song has no such bar or section (nothing changes)."""
        m = self.music_map
        if m is None:
            return False
        if section:
            span = next(((a, b) for a, b, _ in m.sections if a <= t < b), None)
        else:
            if not music_map.has_grid(m):
                return False
            i = bisect.bisect_right(m.downbeats, t) - 1
            ends = [*m.downbeats[1:], m.duration]
            span = (m.downbeats[i], ends[i]) if 0 <= i else None
        if span is None:
            return False
        try:
            self.region.set(span[0], min(span[1], self.document.duration), final=True)
        except RegionError:
            return False
        return True

    # -- region --------------------------------------------------------------------------------
    def _on_drag_select(self, start: float, now: float, finished: bool) -> None:
        duration = self.document.duration
        a, b = sorted((min(max(start, 0.0), duration), min(max(now, 0.0), duration)))
        if self.snapping():
            a, b = self.snap(a), self.snap(b)
        try:
            self.region.set(a, b, final=finished)
        except RegionError:
            pass  # a zero-width drag so far: nothing to show yet

    def _from_item(self, final: bool) -> None:
        if self._syncing:
            return
        a, b = self.region_item.getRegion()
        snapped = False
        old = self.region.region
        if self.snapping() and old is not None:
            # Only the edges the mouse moved snap: an edge that was typed stays where it is.
            moved_a, moved_b = abs(a - old.start) > 1e-9, abs(b - old.end) > 1e-9
            if moved_a and moved_b and abs((a - old.start) - (b - old.end)) < 1e-6:
                a = self.snap(a)  # the whole region moved: its start snaps, its length stays
                b = a + old.length
            else:
                a = self.snap(a) if moved_a else a
                b = self.snap(b) if moved_b else b
            snapped = True
        try:
            self.region.set(a, b, final=final)
        except RegionError:
            if final:  # put the handles back where the model is
                self._show_region(self.region.region)
            return
        if snapped:  # the handles jump to the grid even when the model did not move
            self._show_region(self.region.region)

    def _show_region(self, region) -> None:
        self._syncing = True
        try:
            self.region_item.setVisible(region is not None)
            if region is not None:
                self.region_item.setRegion((region.start, region.end))
        finally:
            self._syncing = False
