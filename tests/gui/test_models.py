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


def test_loader_feeds_the_document_in_order(qtbot, audio_file, workers):
    import numpy as np

    from inpaint_studio.core.peaks import PeakPyramid
    from inpaint_studio.services.document import DocumentModel
    from inpaint_studio.services.loader import AudioLoader

    doc = DocumentModel()
    loader = AudioLoader(doc, workers)
    events = []
    doc.loading_started.connect(lambda p: events.append("started"))
    doc.info_known.connect(lambda i: events.append("info"))
    doc.progressed.connect(lambda f: events.append("progress"))
    doc.loaded.connect(lambda: events.append("loaded"))
    path = audio_file(".ogg", seconds=8.0, rate=48000, channels=2)
    with qtbot.waitSignal(doc.loaded, timeout=10000):
        loader.load(path)
    assert events[:3] == ["started", "info", "progress"] and events[-1] == "loaded"
    assert doc.state == "ready" and not loader.busy
    assert (doc.info.sample_rate, doc.info.channels, doc.info.codec) == (48000, 2, "vorbis")
    assert doc.duration == pytest.approx(8.0, abs=0.05)
    # the pyramid built chunk by chunk equals one built from the finished song
    whole = PeakPyramid.from_samples(doc.audio.samples, doc.audio.sample_rate)
    a = doc.peaks.envelope(0, doc.audio.frames, 300)
    b = whole.envelope(0, doc.audio.frames, 300)
    np.testing.assert_array_equal(a.mins, b.mins)
    np.testing.assert_array_equal(a.maxs, b.maxs)


def test_a_new_load_supersedes_the_running_one(qtbot, audio_file, workers):
    from inpaint_studio.services.document import DocumentModel
    from inpaint_studio.services.loader import AudioLoader

    doc = DocumentModel()
    loader = AudioLoader(doc, workers)
    first = audio_file(".flac", seconds=30.0)
    second = audio_file(".wav", seconds=2.0, channels=1)
    cancelled = []
    doc.load_cancelled.connect(lambda: cancelled.append(1))
    with qtbot.waitSignal(doc.loaded, timeout=10000):
        loader.load(first)
        loader.load(second)
    assert doc.path == str(second) and doc.audio.channels == 1
    qtbot.wait(100)
    assert doc.path == str(second) and cancelled == []  # the old worker's end is ignored
