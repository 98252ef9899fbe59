"""Drawing a song's waveform into a pyqtgraph plot, from its peak pyramid, at any zoom.

`WaveformCurves` keeps one curve per channel (channels stacked top to bottom) and redraws only
when the visible range, the plot width or the data changed. A redraw has about two vertices per
pixel column: a min/max zigzag, which reads as a filled envelope. Below one sample per pixel it
draws the samples themselves (only the visible slice), with dots when they are far apart.

The envelope is painted as one solid rectangle per column (`EnvelopeItem`): axis-aligned fills
are the raster engine's fastest primitive, about three times cheaper than stroking a min/max
zigzag of the same columns, which matters while a long file loads and on every scroll."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import compat, internals
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.peaks import BASE, Envelope, PeakPyramid, sample_envelope
from inpaint_studio.gui import theme

LANE_HEIGHT = 2.0  # y units per channel; a channel spans [-1, 1] around its centre
DOTS_BELOW_SPP = 0.125  # draw sample dots when a sample is at least 8 px wide
DB_FLOOR = 60.0  # the dB view: this many dB below full scale sit on the centre line
AMPLITUDES = ("linear", "db")  # how a channel's height maps a sample value


def db_scale(values: np.ndarray) -> np.ndarray:
    """Sample values on the dB view's scale: sign(v)·max(0, (20·log10|v| + 60) / 60), so
    0 dBFS stays at the edge (±1), −60 dBFS and quieter at the centre line, and a loud master
    shows its dynamics instead of a solid block. Monotonic, so a min/max column stays one."""
    v = np.asarray(values, dtype=np.float32)
    with np.errstate(divide="ignore"):
        level = 20.0 * np.log10(np.abs(v), dtype=np.float32)
    mapped = np.clip((level + np.float32(DB_FLOOR)) / np.float32(DB_FLOOR), 0.0, None)
    return (np.sign(v) * mapped).astype(np.float32)


def channel_centre(channel: int, channels: int) -> float:
    return (channels - 1 - channel) * LANE_HEIGHT * 1.05


def y_range(channels: int) -> tuple[float, float]:
    return -1.02, channel_centre(0, max(1, channels)) + 1.02


def channel_ticks(channels: int) -> list[tuple[float, str]]:
    names = ["L", "R"] if channels == 2 else [str(i + 1) for i in range(channels)]
    if channels == 1:
        names = ["M"]
    return [(channel_centre(i, channels), names[i]) for i in range(channels)]


class EnvelopeItem(pg.GraphicsObject):
    """Min/max columns drawn as filled rectangles, at least one device pixel tall.

    While a song decodes the columns change only where its parts have reached since the last
    update: `set_columns` then asks Qt to repaint only those columns (a few runs of them), and
    `paint` draws only the columns inside the area being repainted, instead of the whole view
    ten times a second."""

    MAX_RUNS = 8  # more changed runs than this: repaint the whole item

    def __init__(self, colour: str) -> None:
        super().__init__()
        self._rects = internals.PrimitiveArray(QRectF, 4)
        self._bounds = QRectF()
        self.brush = QBrush(QColor(colour))
        self.columns = 0
        self.partial_updates = 0  # updates that repainted only changed columns (tests)
        # paint() is told which part is exposed, so it can skip the columns outside it
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    def set_columns(self, x: np.ndarray, width: float, lo: np.ndarray, hi: np.ndarray,
                    min_height: float) -> None:
        """Column i spans x[i]..x[i]+width and lo[i]..hi[i] (all in data coordinates)."""
        n = int(x.shape[0])
        height = np.maximum(hi - lo, min_height)
        y = (lo + hi - height) * 0.5  # grow flat columns about their middle
        if n and self.columns and n >= self.columns and self._update_changed(x, width, y, height):
            return
        self.prepareGeometryChange()
        self._rects.resize(n)
        self.columns = n
        if n:
            m = self._rects.ndarray()
            m[:, 0] = x
            m[:, 1] = y
            m[:, 2] = width
            m[:, 3] = height
            self._bounds = self._bounds_of(m)
        else:
            self._bounds = QRectF()
        self.update()

    @staticmethod
    def _bounds_of(m: np.ndarray) -> QRectF:
        top = float(np.max(m[:, 1] + m[:, 3]))
        bottom = float(np.min(m[:, 1]))
        x0 = float(m[0, 0])
        return QRectF(x0, bottom, float(m[-1, 0] + m[-1, 2] - x0), top - bottom)

    def _update_changed(self, x: np.ndarray, width: float, y: np.ndarray,
                        height: np.ndarray) -> bool:
        """Same columns as before (a decode filling in): write only the changed ones and ask
        for a repaint of those. False when the columns moved (then everything is redrawn)."""
        m = self._rects.ndarray()
        had = m.shape[0]  # the song's extent may have grown: new columns at the end
        if m[0, 2] != width or not np.array_equal(m[:, 0], x[:had]):
            return False
        changed = np.concatenate((
            np.flatnonzero((m[:, 1] != y[:had]) | (m[:, 3] != height[:had])),
            np.arange(had, x.shape[0])))  # fmt: skip
        if not changed.size:
            return True
        breaks = np.flatnonzero(np.diff(changed) > 1)
        if breaks.size >= self.MAX_RUNS:
            return False
        if x.shape[0] > had:
            old = m.copy()
            self._rects.resize(x.shape[0])
            m = self._rects.ndarray()
            m[:had] = old
            m[had:, 0] = x[had:]
            m[had:, 2] = width
            self.columns = x.shape[0]
        m[changed, 1] = y[changed]
        m[changed, 3] = height[changed]
        bounds = self._bounds_of(m)
        if not self._bounds.contains(bounds):
            # a new bounding rect repaints the whole item: grow it ahead (its width doubles)
            # so that a decode filling in does that a few times, not on every update
            grown = self._bounds.united(bounds)
            grown.setRight(max(grown.right(), grown.left() + 2 * self._bounds.width()))
            self.prepareGeometryChange()
            self._bounds = grown
        firsts = np.concatenate(([changed[0]], changed[breaks + 1]))
        lasts = np.concatenate((changed[breaks], [changed[-1]]))
        top, tall = self._bounds.top(), self._bounds.height()
        for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True):
            x0 = float(m[a, 0])
            self.update(QRectF(x0, top, float(m[b, 0]) + width - x0, tall))
        self.partial_updates += 1
        return True

    def data(self) -> np.ndarray:
        """(columns, 4): x, y, width, height of each rectangle (for tests and tools)."""
        return self._rects.ndarray().copy()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem | None = None,
              *args: object) -> None:
        if not self.columns:
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.brush)
        first, count = 0, self.columns
        if option is not None and self._rects.use_ptr_to_array:
            exposed = option.exposedRect
            m = self._rects.ndarray()
            width = float(m[0, 2])
            first = int(np.searchsorted(m[:, 0], exposed.left() - width, side="left"))
            count = int(np.searchsorted(m[:, 0], exposed.right(), side="right")) - first
            if count <= 0:
                return
            if count < self.columns:  # only the exposed columns, straight from the array
                ptr = compat.wrapinstance(m[first:].ctypes.data, QRectF)
                painter.drawRects(ptr, count)
                return
        painter.drawRects(*self._rects.drawargs())


class WaveformCurves:
    """The waveform of one song inside `plot` (a PlotItem). Feed it with `set_source`, then
    call `refresh()` whenever the view may have changed; it skips work when nothing did."""

    def __init__(self, plot: pg.PlotItem, colours: list[str] | None = None, z: float = 0,
                 channels: int = 2) -> None:
        self.plot = plot
        self.colours = colours or theme.WAVE
        self.envelopes: list[EnvelopeItem] = []
        self.curves: list[pg.PlotCurveItem] = []  # the samples, when zoomed in that far
        self.dots: list[pg.ScatterPlotItem] = []
        self.centres: list[pg.InfiniteLine] = []
        self.z = z
        self.peaks: PeakPyramid | None = None
        self.audio: Audio | None = None
        self.amplitude = "linear"  # or "db" (`set_amplitude`)
        self._key: tuple | None = None
        self.renders = 0  # how many real redraws happened (tests, benchmarks)
        self._make_items(channels)  # made up front: most songs are stereo, and it takes a while

    def set_source(self, peaks: PeakPyramid | None, audio: Audio | None = None) -> None:
        self.peaks, self.audio = peaks, audio
        channels = peaks.channels if peaks else 0
        if channels and channels != len(self.curves):
            self._make_items(channels)  # items are kept between songs: making them is slow
        elif not channels:
            self._draw_envelope(None, 1)
        self._key = None

    def set_amplitude(self, amplitude: str) -> None:
        """Draw heights on a "linear" or a "db" scale (`db_scale`); redraws at once."""
        if amplitude not in AMPLITUDES:
            raise ValueError(f"amplitude must be one of {AMPLITUDES}, not {amplitude!r}")
        if amplitude != self.amplitude:
            self.amplitude = amplitude
            self.refresh(force=True)

    def _scaled(self, values: np.ndarray) -> np.ndarray:
        return db_scale(values) if self.amplitude == "db" else values

    def _make_items(self, channels: int) -> None:
        for item in self.envelopes + self.curves + self.dots + self.centres:
            self.plot.removeItem(item)
        self.envelopes, self.curves, self.dots, self.centres = [], [], [], []
        for c in range(channels):
            colour = self.colours[c % len(self.colours)]
            line = pg.InfiniteLine(pos=channel_centre(c, channels), angle=0,
                                   pen=pg.mkPen(theme.GRID, width=1))  # fmt: skip
            line.setZValue(self.z - 1)
            self.plot.addItem(line, ignoreBounds=True)
            envelope = EnvelopeItem(colour)
            envelope.setZValue(self.z)
            self.plot.addItem(envelope, ignoreBounds=True)
            self.envelopes.append(envelope)
            curve = pg.PlotCurveItem(pen=pg.mkPen(colour, width=1), antialias=False,
                                     skipFiniteCheck=True)  # fmt: skip
            curve.setZValue(self.z)
            curve.setVisible(False)
            self.plot.addItem(curve, ignoreBounds=True)
            dots = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(colour))
            dots.setZValue(self.z + 1)
            dots.setVisible(False)  # hidden items cost nothing to paint
            self.plot.addItem(dots, ignoreBounds=True)
            self.curves.append(curve)
            self.dots.append(dots)
            self.centres.append(line)

    def refresh(self, force: bool = False) -> bool:
        """Redraw for the current view if anything changed; True when it redrew."""
        if self.peaks is None:
            return False
        vb = self.plot.getViewBox()
        (x0, x1), _ = vb.viewRange()
        width = max(1, int(vb.width() * _pixel_ratio(vb)))
        key = (x0, x1, width, self.peaks.version, id(self.audio), self.amplitude)
        if key == self._key and not force:
            return False
        self._key = key
        self._draw(x0, x1, width)
        self.renders += 1
        return True

    def _draw(self, x0: float, x1: float, width: int) -> None:
        assert self.peaks is not None
        rate = self.peaks.sample_rate
        f0, f1 = x0 * rate, x1 * rate
        spp = (f1 - f0) / width
        samples = self.audio.samples if self.audio is not None else None
        if samples is not None and spp <= 1.0:
            self._draw_samples(samples, f0, f1, rate, spp)
            return
        if samples is not None and spp < BASE:
            env = sample_envelope(samples, f0, f1, width)
        else:
            env = self.peaks.envelope(f0, f1, width)
        self._draw_envelope(env, rate)

    def _draw_envelope(self, env: Envelope | None, rate: int) -> None:
        for curve, dots in zip(self.curves, self.dots, strict=True):
            if curve.isVisible():
                curve.setVisible(False)
                curve.setData([], [])
            if dots.isVisible():
                dots.setVisible(False)
                dots.setData([], [])
        vb = self.plot.getViewBox()
        (_, _), (y0, y1) = vb.viewRange()
        one_pixel = (y1 - y0) / max(1.0, vb.height() * _pixel_ratio(vb))
        n = len(self.envelopes)
        for c, item in enumerate(self.envelopes):
            item.setVisible(True)
            if env is None:
                item.set_columns(np.empty(0), 0.0, np.empty(0), np.empty(0), one_pixel)
                continue
            centre = np.float32(channel_centre(c, n))
            item.set_columns(env.starts / rate, env.span / rate,
                             self._scaled(env.mins[c]) + centre,
                             self._scaled(env.maxs[c]) + centre, one_pixel)  # fmt: skip

    def _draw_samples(self, samples: np.ndarray, f0: float, f1: float, rate: int,
                      spp: float) -> None:
        first = max(0, int(np.floor(f0)) - 1)
        last = min(samples.shape[1], int(np.ceil(f1)) + 2)
        x = np.arange(first, last, dtype=np.float64) / rate
        n = len(self.curves)
        for item in self.envelopes:
            item.setVisible(False)
        for c, curve in enumerate(self.curves):
            y = self._scaled(samples[c, first:last]) + np.float32(channel_centre(c, n))
            curve.setData(x, y)
            curve.setVisible(True)
            dots = self.dots[c]
            if spp <= DOTS_BELOW_SPP:
                dots.setData(x, y)
                dots.setVisible(True)
            elif dots.isVisible():
                dots.setData([], [])
                dots.setVisible(False)


def _pixel_ratio(vb: pg.ViewBox) -> float:
    """Device pixels per logical pixel of the widget showing `vb` (2 on a HiDPI screen)."""
    scene = vb.scene()
    views = scene.views() if scene is not None else []
    return float(views[0].devicePixelRatioF()) if views else 1.0


class WaveformViewBox(pg.ViewBox):
    """A ViewBox with an editor's mouse: wheel scrolls, Ctrl+wheel zooms around the pointer,
    a left drag selects (`dragged(start_s, now_s, finished)`), a left click seeks (`clicked`), a
    double click says where (`double_clicked(seconds, shift_held)`)."""

    dragged = Signal(float, float, bool)
    clicked = Signal(float)
    double_clicked = Signal(float, bool)
    zoom_step = 0.8  # range factor per wheel notch

    def __init__(self, select: bool = True, **kwargs) -> None:
        super().__init__(enableMenu=False, **kwargs)
        self.select = select
        self.setMouseEnabled(x=True, y=False)

    def wheelEvent(self, ev, axis=None) -> None:  # noqa: N802 - Qt override
        delta = ev.delta() if hasattr(ev, "delta") else ev.angleDelta().y()
        if delta == 0:
            ev.ignore()
            return
        (x0, x1), _ = self.viewRange()
        notches = delta / 120.0
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            centre = self.mapSceneToView(ev.scenePos()).x()
            self.zoom_about(self.zoom_step**notches, centre)
        else:
            shift = -(x1 - x0) * 0.1 * notches
            self.setXRange(x0 + shift, x1 + shift, padding=0)
        ev.accept()

    def zoom_about(self, factor: float, centre: float) -> None:
        """Scale the visible range by `factor` keeping `centre` (seconds) at the same pixel."""
        (x0, x1), _ = self.viewRange()
        self.setXRange(centre - (centre - x0) * factor, centre + (x1 - centre) * factor,
                       padding=0)  # fmt: skip

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 - Qt override
        if self.select and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            start = self.mapSceneToView(ev.buttonDownScenePos()).x()
            now = self.mapSceneToView(ev.scenePos()).x()
            self.dragged.emit(start, now, bool(ev.isFinish()))
            return
        if ev.button() == Qt.MouseButton.MiddleButton or not self.select:
            super().mouseDragEvent(ev, axis)  # pan
            return
        ev.ignore()

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - Qt override
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            x = self.mapSceneToView(ev.scenePos()).x()
            if ev.double():
                shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self.double_clicked.emit(x, shift)
            else:
                self.clicked.emit(x)
            return
        ev.ignore()
