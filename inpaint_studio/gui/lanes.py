"""Lanes: extra timelines under the main waveform (e.g. the versions a job returned), each
drawing another `Audio` on the same timeline. Every lane's x range is linked to the detail view,
so zooming or scrolling one moves all; the region and the playhead are drawn in every lane."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.peaks import PeakPyramid
from inpaint_studio.gui import theme
from inpaint_studio.gui.waveform import WaveformCurves, WaveformViewBox, channel_ticks, y_range
from inpaint_studio.gui.waveform_view import make_timeline_plot, playhead_line, region_item
from inpaint_studio.services.document import PlayheadModel, RegionModel

MIN_LANE_HEIGHT = 40
LANE_COLOURS = [["#a5d6a7", "#c8e6c9"], ["#ce93d8", "#e1bee7"], ["#ffab91", "#ffccbc"]]
BLIND_COLOURS = [theme.MUTED, theme.MUTED]  # every lane alike while a blind test runs


class Lane(QWidget):
    """One extra timeline: a title and a waveform. `plot` is the pyqtgraph PlotItem, for
    features that want to draw more on it (seams, markers)."""

    clicked = Signal(float)  # seconds

    def __init__(self, title: str, colours: list[str], height: int = 90, parent=None) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setStyleSheet(f"color: {theme.MUTED}; padding-left: {4}px;")
        self.viewbox = WaveformViewBox(select=False)
        self.plot_widget = make_timeline_plot(self.viewbox, ruler=False)
        # `height` on a screen with room; less on a small one (the main waveform keeps more).
        self.plot_widget.setMinimumHeight(MIN_LANE_HEIGHT)
        self.plot_widget.setMaximumHeight(height)
        self.plot_widget.setSizePolicy(QSizePolicy.Policy.Preferred,
                                       QSizePolicy.Policy.Expanding)
        self.plot = self.plot_widget.getPlotItem()
        self.curves = WaveformCurves(self.plot, colours)
        self.viewbox.sigXRangeChanged.connect(lambda *_: self.curves.refresh())
        self.viewbox.sigResized.connect(lambda *_: self.curves.refresh())
        self.viewbox.clicked.connect(self.clicked.emit)
        self.region_item = region_item(movable=False)
        self.plot.addItem(self.region_item, ignoreBounds=True)
        self.playhead = playhead_line()
        self.plot.addItem(self.playhead, ignoreBounds=True)
        self.audio: Audio | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.plot_widget)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

    def set_audio(self, audio: Audio | None, peaks: PeakPyramid | None = None) -> None:
        """Show `audio` (pass `peaks` when already built, e.g. off the GUI thread)."""
        self.audio = audio
        if audio is not None and peaks is None:
            peaks = PeakPyramid.from_samples(audio.samples, audio.sample_rate)
        self.curves.set_source(peaks, audio)
        channels = audio.channels if audio is not None else 1
        lo, hi = y_range(channels)
        self.viewbox.setLimits(yMin=lo, yMax=hi)
        self.viewbox.setYRange(lo, hi, padding=0)
        self.plot.getAxis("left").setTicks([channel_ticks(channels), []])
        self.curves.refresh(force=True)

    def set_active(self, active: bool) -> None:
        """Mark the lane that is audible now."""
        colour = theme.TEXT if active else theme.MUTED
        weight = "bold" if active else "normal"
        self.title.setStyleSheet(f"color: {colour}; font-weight: {weight}; padding-left: 4px;")

    def show_region(self, region) -> None:
        self.region_item.setVisible(region is not None)
        if region is not None:
            self.region_item.setRegion((region.start, region.end))


class LanesContainer(QWidget):
    """Holds the lanes under the waveform. `add_lane(title, audio)` → `Lane`; `remove_lane`."""

    lane_added = Signal(object)
    lane_removed = Signal(object)

    def __init__(self, master: pg.PlotItem, region: RegionModel, playhead: PlayheadModel,
                 parent=None) -> None:
        super().__init__(parent)
        self.master = master
        self.region = region
        self.playhead = playhead
        self.lanes: list[Lane] = []
        self.amplitude = "linear"  # every lane's height scale ("linear" | "db")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        # Shares the height with the main waveform (by the window's stretch factors).
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        region.changed.connect(self._show_region)
        playhead.moved.connect(self._move_playhead)
        self.setVisible(False)

    def add_lane(self, title: str, audio: Audio | None = None, peaks: PeakPyramid | None = None,
                 height: int = 90, colours: list[str] | None = None) -> Lane:
        """A new lane; `colours` (per channel) default to the next of `LANE_COLOURS`."""
        lane = Lane(title, colours or LANE_COLOURS[len(self.lanes) % len(LANE_COLOURS)], height)
        lane.plot.setXLink(self.master)
        lane.show_region(self.region.region)
        lane.playhead.setValue(self.playhead.position)
        lane.clicked.connect(self.playhead.seek)
        lane.curves.amplitude = self.amplitude
        if audio is not None:
            lane.set_audio(audio, peaks)
        self.lanes.append(lane)
        self._layout.addWidget(lane)
        self.setVisible(True)
        self.lane_added.emit(lane)
        return lane

    def set_amplitude(self, amplitude: str) -> None:
        """Draw every lane, and the lanes added later, on a "linear" or "db" scale."""
        self.amplitude = amplitude
        for lane in self.lanes:
            lane.curves.set_amplitude(amplitude)

    def remove_lane(self, lane: Lane) -> None:
        if lane in self.lanes:
            self.lanes.remove(lane)
            lane.plot.setXLink(None)
            self._layout.removeWidget(lane)
            lane.deleteLater()
            self.setVisible(bool(self.lanes))
            self.lane_removed.emit(lane)

    def clear(self) -> None:
        for lane in list(self.lanes):
            self.remove_lane(lane)

    def _show_region(self, region) -> None:
        for lane in self.lanes:
            lane.show_region(region)

    def _move_playhead(self, seconds: float) -> None:
        for lane in self.lanes:
            lane.playhead.setValue(seconds)
