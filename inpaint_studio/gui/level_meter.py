"""The output level meter of the transport: two bars (left, right) on a dBFS scale, the RMS as
the bar and the peak as a line that holds for a moment and then falls, green up to −18 dBFS,
yellow to −6, red above. A view only: `show_levels(levels)` with the player's `Levels`, or
None when nothing plays (the bars empty)."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from inpaint_studio.gui import theme

FLOOR_DB = -60.0  # the left end of the scale
YELLOW_DB = -18.0
RED_DB = -6.0
HOLD_S = 1.5  # a peak stays put this long
FALL_DB_PER_S = 20.0  # then falls this fast
GREEN, YELLOW, RED = QColor("#4caf50"), QColor("#e0c341"), QColor("#e53935")


def to_db(value: float) -> float:
    """Linear full scale → dBFS, clamped at the meter's floor."""
    return FLOOR_DB if value <= 10 ** (FLOOR_DB / 20) else max(FLOOR_DB, 20 * math.log10(value))


class LevelMeter(QWidget):
    """Peak/RMS bars of what the output plays (see the module doc)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rms_db = [FLOOR_DB, FLOOR_DB]
        self.peak_db = [FLOOR_DB, FLOOR_DB]
        self.hold_db = [FLOOR_DB, FLOOR_DB]
        self._hold_at = [0.0, 0.0]
        self._last = time.monotonic()
        self.active = False
        self.setToolTip("Output level (dBFS): the bar is the RMS, the line the peak")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(110, 22)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.sizeHint()

    def show_levels(self, levels: object | None) -> None:
        """The player's `Levels` (peak and rms per channel, linear), or None: empty."""
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        if levels is None:
            self.active = False
            self.rms_db = [FLOOR_DB, FLOOR_DB]
            self.peak_db = [FLOOR_DB, FLOOR_DB]
            self.hold_db = [FLOOR_DB, FLOOR_DB]
            self.update()
            return
        self.active = True
        for c in range(2):
            self.rms_db[c] = to_db(levels.rms[c])  # type: ignore[attr-defined]
            self.peak_db[c] = to_db(levels.peak[c])  # type: ignore[attr-defined]
            if self.peak_db[c] >= self.hold_db[c]:
                self.hold_db[c], self._hold_at[c] = self.peak_db[c], now
            elif now - self._hold_at[c] > HOLD_S:
                self.hold_db[c] = max(self.peak_db[c],
                                      self.hold_db[c] - FALL_DB_PER_S * elapsed)
        self.update()

    def _x(self, db: float, width: float) -> float:
        return width * (db - FLOOR_DB) / -FLOOR_DB

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        w, h = float(self.width()), float(self.height())
        painter.fillRect(QRectF(0, 0, w, h), QColor(theme.GRID))
        bar_h = (h - 3) / 2
        for c in range(2):
            top = 1 + c * (bar_h + 1)
            if self.active:
                level = self.rms_db[c]
                for lo, hi, colour in ((FLOOR_DB, YELLOW_DB, GREEN), (YELLOW_DB, RED_DB, YELLOW),
                                       (RED_DB, 0.0, RED)):
                    if level > lo:
                        x0, x1 = self._x(lo, w), self._x(min(level, hi), w)
                        painter.fillRect(QRectF(x0, top, x1 - x0, bar_h), colour)
                hold = self.hold_db[c]
                if hold > FLOOR_DB:
                    colour = RED if hold > RED_DB else YELLOW if hold > YELLOW_DB else GREEN
                    x = min(w - 2, self._x(hold, w))
                    painter.fillRect(QRectF(x, top, 2, bar_h), colour)
        painter.setPen(QColor(theme.MUTED))
        for db in (YELLOW_DB, RED_DB):  # the scale's marks
            x = self._x(db, w)
            painter.drawLine(int(x), 0, int(x), 2)
            painter.drawLine(int(x), int(h) - 3, int(x), int(h))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.end()
