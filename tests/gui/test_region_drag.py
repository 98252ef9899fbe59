"""Selecting the region with the mouse and with the fields, both ways in sync."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import drag


def test_drag_on_waveform_creates_region_and_fields_follow(qtbot, loaded):
    win = loaded
    live, done = [], []
    win.region.changed.connect(live.append)
    win.region.committed.connect(done.append)
    drag(qtbot, win.detail.plot_widget, 4.0, 9.0, y=0.5)
    r = win.region.region
    assert r is not None
    assert r.start == pytest.approx(4.0, abs=0.1)
    assert r.end == pytest.approx(9.0, abs=0.1)
    assert len(live) >= 2  # it moved while dragging, not only at the end
    assert done and done[-1] == r  # and was committed once released
    assert win.region_fields.start.text() == f"0:0{r.start:.3f}"
    assert win.region_fields.end.text() == f"0:0{r.end:.3f}"
    assert win.region_fields.length.text() == f"0:0{r.length:.3f}"
    # shown on both views, at the same place
    assert win.detail.region_item.isVisible() and win.overview.region_item.isVisible()
    assert win.detail.region_item.getRegion() == pytest.approx((r.start, r.end))
    assert win.overview.region_item.getRegion() == pytest.approx((r.start, r.end))
    # snapped to whole samples
    assert r.start * 44100 == pytest.approx(round(r.start * 44100), abs=1e-6)


def test_dragging_backwards_gives_the_same_region(qtbot, loaded):
    drag(qtbot, loaded.detail.plot_widget, 12.0, 6.0, y=0.5)
    r = loaded.region.region
    assert r.start == pytest.approx(6.0, abs=0.1) and r.end == pytest.approx(12.0, abs=0.1)


def test_dragging_an_edge_adjusts_the_region(qtbot, loaded):
    win = loaded
    win.region.set(5.0, 10.0)
    done = []
    win.region.committed.connect(done.append)
    # grab the right edge (a line of the LinearRegionItem) and move it to 13 s
    drag(qtbot, win.detail.plot_widget, 10.0, 13.0, y=0.5)
    r = win.region.region
    assert r.start == pytest.approx(5.0, abs=1e-3)
    assert r.end == pytest.approx(13.0, abs=0.1)
    assert done and done[-1] == r
    assert win.region_fields.end.text().startswith("0:1")


def _type(qtbot, field, text):
    field.setFocus()
    field.selectAll()
    QTest.keyClicks(field, text)


def test_typing_in_fields_moves_the_region(qtbot, loaded):
    win = loaded
    f = win.region_fields
    _type(qtbot, f.start, "0:02.5")
    _type(qtbot, f.end, "7")
    QTest.keyClick(f.end, Qt.Key.Key_Return)
    assert (win.region.region.start, win.region.region.end) == (2.5, 7.0)
    assert win.detail.region_item.getRegion() == pytest.approx((2.5, 7.0))
    assert f.length.text() == "0:04.500"
    # a length moves the end
    _type(qtbot, f.length, "10")
    QTest.keyClick(f.length, Qt.Key.Key_Return)
    assert (win.region.region.start, win.region.region.end) == (2.5, 12.5)
    assert f.end.text() == "0:12.500"


def test_invalid_typing_is_flagged_inline_and_changes_nothing(qtbot, loaded):
    win = loaded
    win.region.set(2.0, 6.0)
    f = win.region_fields
    _type(qtbot, f.end, "1:00")  # past the end of a 20 s song
    assert "past the end" in f.message.text()
    assert "border" in f.end.styleSheet()
    QTest.keyClick(f.end, Qt.Key.Key_Return)
    assert (win.region.region.start, win.region.region.end) == (2.0, 6.0)
    _type(qtbot, f.end, "1.0")  # before the start
    assert "ends before it starts" in f.message.text()
    _type(qtbot, f.start, "abc")
    assert "not a time" in f.message.text()
    _type(qtbot, f.start, "3")
    _type(qtbot, f.end, "5")
    assert "border" not in f.end.styleSheet()
    QTest.keyClick(f.end, Qt.Key.Key_Return)
    assert (win.region.region.start, win.region.region.end) == (3.0, 5.0)


def test_warnings_are_shown_beside_the_fields(loaded):
    loaded.region.set(1.0, 2.0)
    assert "shorter than 3 s" in loaded.region_fields.message.text()
    loaded.region.set(1.0, 15.0)
    assert "more than 50%" in loaded.region_fields.message.text()
    loaded.region.set(1.0, 6.0)
    assert "0:05.000 selected" in loaded.region_fields.message.text()
    loaded.region.clear()
    assert loaded.region_fields.start.text() == ""
    assert not loaded.detail.region_item.isVisible()


def test_dragging_on_the_overview_moves_the_detail_view(qtbot, loaded):
    d = loaded.detail
    d.set_view(0.0, 2.0)
    drag(qtbot, loaded.overview.plot_widget, 10.0, 15.0, y=0.5)
    x0, x1 = d.visible_range()
    assert x1 - x0 == pytest.approx(2.0, abs=1e-6)  # moved, not zoomed
    assert (x0 + x1) / 2 == pytest.approx(15.0, abs=0.2)
    assert loaded.overview.viewport.getRegion() == pytest.approx((x0, x1), abs=1e-6)
    # dragging the bright viewport band itself pans too
    drag(qtbot, loaded.overview.plot_widget, (x0 + x1) / 2, (x0 + x1) / 2 - 5.0, y=0.5)
    y0, y1 = d.visible_range()
    assert (y0 + y1) / 2 == pytest.approx((x0 + x1) / 2 - 5.0, abs=0.3)
