"""While a song decodes, the waveform repaints only the columns its parts filled since the last
update (`EnvelopeItem.set_columns` over the same column grid): every column that changed is
inside an area asked to be repainted, the item ends up with the same rectangles as one drawn
from scratch, and painting only an exposed area draws there exactly what a full paint does."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsScene, QStyleOptionGraphicsItem

from inpaint_studio.gui.waveform import EnvelopeItem

COLUMNS = 600


class RecordingEnvelope(EnvelopeItem):
    """Notes each area it asks Qt to repaint (an empty rect: the whole item)."""

    def __init__(self) -> None:
        super().__init__("#44aaff")
        self.asked: list[QRectF] = []

    def update(self, rect: QRectF | None = None) -> None:  # noqa: D102 - Qt's, noted
        rect = QRectF() if rect is None else rect
        self.asked.append(QRectF(rect))
        super().update(rect)

    def prepareGeometryChange(self) -> None:  # noqa: N802, D102 - Qt's: repaints everything
        self.asked.append(QRectF())
        super().prepareGeometryChange()


def _decoding_columns(step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The columns after `step` updates of a two-part decode: each part has filled 40 more
    columns from its start (0 and the middle); columns no part reached are flat at zero, and
    the extent (the number of columns) grows with the second part."""
    rng = np.random.default_rng(3)
    peak = rng.uniform(0.05, 0.95, COLUMNS)
    lo, hi = -peak * rng.uniform(0.5, 1.0, COLUMNS), peak
    reached = np.zeros(COLUMNS, dtype=bool)
    half = COLUMNS // 2
    reached[: 40 * step] = True
    reached[half : half + 40 * step] = True
    extent = min(COLUMNS, half + 40 * step)
    lo, hi = np.where(reached, lo, 0.0)[:extent], np.where(reached, hi, 0.0)[:extent]
    return np.arange(extent, dtype=np.float64) * 0.5, lo, hi


def _changed_inside(before: np.ndarray, after: np.ndarray, asked: list[QRectF]) -> None:
    if any(rect.isEmpty() for rect in asked):
        return  # the whole item was repainted
    changed = np.flatnonzero(np.any(before != after[: before.shape[0]], axis=1))
    changed = np.concatenate((changed, np.arange(before.shape[0], after.shape[0])))
    for i in changed:
        x, y, w, h = after[i]
        if before.shape[0] > i:
            bx, by, bw, bh = before[i]
            y, h = min(y, by), max(y + h, by + bh) - min(y, by)
        column = QRectF(x, y, w, h)
        assert any(rect.contains(column) for rect in asked), f"column {i} not repainted"


def _paint(item: EnvelopeItem, exposed: QRectF | None) -> QImage:
    image = QImage(COLUMNS, 200, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.black)
    painter = QPainter(image)
    painter.setTransform(QTransform.fromScale(2.0, 50.0) * QTransform.fromTranslate(0, 100))
    option = QStyleOptionGraphicsItem()
    option.exposedRect = exposed if exposed is not None else item.boundingRect()
    if exposed is not None:
        painter.setClipRect(exposed)
    item.paint(painter, option)
    painter.end()
    return image


def test_a_decode_filling_in_repaints_only_what_changed_and_draws_it_right(qtbot):
    scene = QGraphicsScene()
    item = RecordingEnvelope()
    scene.addItem(item)
    fresh = EnvelopeItem("#44aaff")
    for step in range(1, 8):
        before = item.data()
        item.asked.clear()
        x, lo, hi = _decoding_columns(step)
        item.set_columns(x, 0.5, lo, hi, 0.02)
        _changed_inside(before, item.data(), item.asked)
        fresh.set_columns(x, 0.5, lo, hi, 0.02)
        np.testing.assert_array_equal(item.data(), fresh.data())
    assert item.partial_updates >= 5  # after the first updates, only the changed columns

    exposed = QRectF(30.0, -2.0, 40.0, 4.0)  # columns 60..140 only
    full = _paint(item, None)
    part = _paint(item, exposed)
    assert part != _paint(EnvelopeItem("#44aaff"), exposed)  # it drew something there
    left, right = int(30.0 * 2), int(70.0 * 2)
    np.testing.assert_array_equal(_pixels(part)[:, left:right], _pixels(full)[:, left:right])


def _pixels(image: QImage) -> np.ndarray:
    ptr = image.constBits()
    return np.frombuffer(ptr, dtype=np.uint32, count=image.width() * image.height()).reshape(
        image.height(), image.width()).copy()  # fmt: skip
