"""The models alone (no views), then a view handed a model: napari's dims / qt_dims tests."""

from __future__ import annotations

import pytest

from inpaint_studio.core.region import RegionError
from inpaint_studio.gui.region_fields import RegionFields
from inpaint_studio.services.document import PlayheadModel, RegionModel


def test_region_model_signals_live_and_committed(qtbot):
    model = RegionModel()
    model.set_song(30.0, 48000)
    live, done = [], []
    model.changed.connect(live.append)
    model.committed.connect(done.append)
    model.set(1.0, 2.0, final=False)
    model.set(1.0, 3.0, final=False)
    assert len(live) == 2 and done == []
    r = model.set(1.0, 3.0, final=True)
    assert len(live) == 2 and done == [r]  # no move, but committed
    with pytest.raises(RegionError):
        model.set(5.0, 40.0)
    assert model.region == r  # an invalid move leaves it where it was
    model.set_song(2.0, 48000)  # a shorter song: the region no longer fits
    assert model.region is None and live[-1] is None


def test_region_model_warnings_follow_limits():
    model = RegionModel()
    model.set_song(100.0, 44100)
    model.set(0, 1)
    assert len(model.warnings) == 1
    model.set(0, 10)
    assert model.warnings == []


def test_playhead_model():
    p = PlayheadModel()
    moved, seeks = [], []
    p.moved.connect(moved.append)
    p.seek_requested.connect(seeks.append)
    p.set_position(3.0)
    p.set_position(3.0)
    p.seek(-1.0)
    assert moved == [3.0, 0.0] and seeks == [0.0]


def test_fields_view_follows_model(qtbot):
    model = RegionModel()
    model.set_song(200.0, 44100)
    view = RegionFields(model)
    qtbot.addWidget(view)
    model.set(61.5, 75.0)
    assert (view.start.text(), view.end.text(), view.length.text()) == (
        "1:01.500", "1:15.000", "0:13.500")
    model.clear()
    assert view.start.text() == "" and "Drag" in view.message.text()
