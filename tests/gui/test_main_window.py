"""The window end to end: open (menu, recent, drop), draw while decoding, zoom and pan at every
scale down to single samples, cancel a load, bad files, and the public API features build on."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QMenu

from inpaint_studio.core.audio import Audio
from tests.gui.conftest import load, to_viewport


def test_load_shows_song_everywhere(loaded, audio_file):
    win = loaded
    doc = win.document
    assert doc.state == "ready" and doc.audio.frames == 20 * 44100
    assert win.detail.visible_range() == pytest.approx((0.0, 20.0))
    facts = win._facts_label.text()
    for words in ("0:20.000", "44100 Hz", "stereo", "flac"):
        assert words in facts
    assert win._file_label.text().endswith(".flac")
    assert win.settings.recent_files() == [doc.path]
    assert ".flac" in win.windowTitle()
    for view in (win.detail, win.overview):
        for item in view.curves.envelopes:  # one column per pixel or fewer, never more
            assert item.isVisible() and 100 < item.columns <= view.viewbox.width() + 2
        rects = view.curves.envelopes[0].data()
        np.testing.assert_allclose(np.diff(rects[:, 0]), rects[0, 2], rtol=1e-6)  # no gaps
    assert not win._progress.isVisible()


def test_waveform_is_drawn_while_decoding(qtbot, window, audio_file):
    path = audio_file(".flac", seconds=60.0)
    seen = []

    def on_peaks():
        if window.document.state == "loading":
            seen.append((window.document.peaks.frames,
                         max(e.columns for e in window.overview.curves.envelopes)))

    window.document.peaks_updated.connect(on_peaks)
    load(qtbot, window, path)
    # Columns of waveform were drawn from a part of the song, before the decode finished.
    drawn = [(frames, columns) for frames, columns in seen if columns > 0]
    assert drawn, seen
    assert drawn[0][0] < window.document.audio.frames


def test_zoom_and_pan(qtbot, loaded):
    win, d = loaded, loaded.detail
    d.zoom_in()
    assert d.visible_range() == pytest.approx((5.0, 15.0))
    d.pan(0.5)
    assert d.visible_range() == pytest.approx((10.0, 20.0))
    d.pan(0.5)  # clamped at the end of the song
    assert d.visible_range()[1] == pytest.approx(20.0)
    d.fit()
    assert d.visible_range() == pytest.approx((0.0, 20.0))
    # keys: + zooms in, - zooms out
    QTest.keyClick(win, Qt.Key.Key_Plus)
    assert d.visible_range() == pytest.approx((5.0, 15.0))
    QTest.keyClick(win, Qt.Key.Key_Minus)
    assert d.visible_range() == pytest.approx((0.0, 20.0))
    # the scrollbar pans
    d.set_view(2.0, 4.0)
    sb = d.scrollbar
    assert sb.pageStep() == pytest.approx(2.0 * d._scale, rel=1e-3)
    sb.setValue(int(10.0 * d._scale))
    assert d.visible_range() == pytest.approx((10.0, 12.0), abs=1e-3)
    # the overview shows the viewport; dragging it pans the detail view
    assert win.overview.viewport.getRegion() == pytest.approx((10.0, 12.0), abs=1e-3)
    win.overview.viewport.setRegion((15.0, 17.0))
    assert d.visible_range() == pytest.approx((15.0, 17.0), abs=1e-3)
    # a click on the overview centres the detail view there
    win.overview.navigate.emit(5.0)
    assert d.visible_range() == pytest.approx((4.0, 6.0), abs=1e-3)
    # zoom to region
    win.region.set(8.0, 9.0)
    QTest.keyClick(win, Qt.Key.Key_Z)
    x0, x1 = d.visible_range()
    assert x0 < 8.0 and x1 > 9.0 and x1 - x0 < 1.5


def _wheel(widget, pos: QPoint, delta: int, mods=Qt.KeyboardModifier.NoModifier):
    ev = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0),
                     QPoint(0, delta), Qt.MouseButton.NoButton, mods,
                     Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    from PySide6.QtWidgets import QApplication

    QApplication.sendEvent(widget, ev)


def test_mouse_wheel_scrolls_and_ctrl_wheel_zooms_about_the_pointer(qtbot, loaded):
    d = loaded.detail
    d.set_view(4.0, 8.0)
    vp = d.plot_widget.viewport()
    pos = to_viewport(d.plot_widget, 7.0, 0.5)
    _wheel(vp, pos, -120)  # one notch down: scroll right by a tenth of the view
    assert d.visible_range() == pytest.approx((4.4, 8.4), abs=1e-6)
    pos = to_viewport(d.plot_widget, 7.0, 0.5)
    _wheel(vp, pos, 120, Qt.KeyboardModifier.ControlModifier)  # zoom in about 7 s
    x0, x1 = d.visible_range()
    assert x1 - x0 == pytest.approx(4.0 * 0.8, rel=1e-3)
    assert (7.0 - x0) / (x1 - x0) == pytest.approx((7.0 - 4.4) / 4.0, abs=0.01)


def test_zoom_down_to_single_samples(qtbot, loaded):
    d = loaded.detail
    audio = loaded.document.audio
    rate = audio.sample_rate
    # about one column per 100 samples: min/max straight from the samples
    d.set_view(10.0, 10.0 + 100 * d.viewbox.width() / rate)
    rects = d.curves.envelopes[0].data()
    assert len(rects) <= d.viewbox.width() + 2
    first = int(round(rects[0, 0] * rate))
    span = audio.samples[0, first : first + 100]
    centre = rects[0, 1] + rects[0, 3] / 2 - (span.min() + span.max()) / 2
    assert rects[0, 1] - centre == pytest.approx(span.min(), abs=1e-5)
    assert rects[0, 1] + rects[0, 3] - centre == pytest.approx(span.max(), abs=1e-5)
    # fewer samples than pixels: the samples themselves, only the visible ones
    d.set_view(10.0, 10.0 + 40 / rate)
    assert not d.curves.envelopes[0].isVisible() and d.curves.curves[0].isVisible()
    x, y = d.curves.curves[0].getData()
    assert 40 <= len(x) <= 44
    first = int(round(x[0] * rate))
    np.testing.assert_allclose(np.diff(x), 1 / rate, rtol=1e-6)
    centre = y[0] - audio.samples[0, first]
    np.testing.assert_allclose(y - centre, audio.samples[0, first : first + len(x)], atol=1e-6)
    xs, _ = d.curves.dots[0].getData()
    assert len(xs) == len(x)  # samples this far apart are drawn as dots too
    # the view cannot zoom further than a handful of samples
    d.set_view(10.0, 10.0 + 1 / rate)
    x0, x1 = d.visible_range()
    assert (x1 - x0) * rate >= 15.9


def test_redraws_only_when_needed(loaded):
    curves = loaded.detail.curves
    before = curves.renders
    assert curves.refresh() is False  # nothing changed
    loaded.detail.set_view(1.0, 2.0)
    assert curves.renders == before + 1


def test_cancel_loading(qtbot, window, audio_file):
    path = audio_file(".flac", seconds=60.0)
    with qtbot.waitSignal(window.document.load_cancelled, timeout=10000):
        window.open_file(path)
        assert window._cancel_button.isVisible()
        window._cancel_button.click()
    assert window.document.state == "empty" and window.document.audio is None
    assert not window._cancel_button.isVisible()
    assert window.errors.history == []
    # a new load after a cancelled one works
    load(qtbot, window, path)
    assert window.document.audio.frames == 60 * 44100


@pytest.mark.parametrize("kind", ["text", "missing", "empty"])
def test_bad_file_is_reported_not_raised(qtbot, window, tmp_path, kind):
    path = tmp_path / "song.mp3"
    if kind == "text":
        path.write_text("not a song\n" * 100)
    elif kind == "empty":
        path.write_bytes(b"")
    with qtbot.waitSignal(window.errors.reported, timeout=10000):
        window.open_file(path)
    title, message = window.errors.history[-1]
    assert title == "Could not open the song"
    assert "song.mp3" in message
    assert window.document.state == "empty"
    assert window.settings.recent_files() == []


def test_open_recent_and_drop(qtbot, loaded, audio_file):
    win = loaded
    other = audio_file(".wav", seconds=3.0, channels=1)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    with qtbot.waitSignal(win.document.loaded, timeout=10000):
        win.dropEvent(drop)
    assert win.document.audio.channels == 1
    assert "mono" in win._facts_label.text()
    assert len(win.detail.curves.curves) == 1
    win._fill_recent()
    actions = win.recent_menu.actions()
    assert [a.text() for a in actions] == [other.name, next(iter(
        p for p in win.settings.recent_files() if p.endswith(".flac"))).rsplit("/", 1)[-1]]
    with qtbot.waitSignal(win.document.loaded, timeout=10000):
        actions[1].trigger()
    assert win.document.path.endswith(".flac")


def test_public_api_for_features(qtbot, loaded):
    win = loaded
    titles = [a.text() for a in win.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Playback", "&Jobs", "&Help"]
    assert isinstance(win.menu("Jobs"), QMenu) and win.menu("Jobs") is win.menu("Jobs")
    win.menu("Tools")
    titles = [a.text() for a in win.menuBar().actions()]
    assert titles[-2:] == ["&Tools", "&Help"]
    dock = win.add_dock(QLabel("a panel"), "Jobs")
    assert dock.widget().text() == "a panel"
    assert dock.toggleViewAction() in win._panels_menu.actions()
    # a lane draws another Audio on the same timeline
    audio = win.document.audio
    take = Audio(np.ascontiguousarray(audio.samples[:, ::-1]), audio.sample_rate)
    lane = win.lanes.add_lane("Version 1", take)
    assert win.lanes.isVisible()
    win.detail.set_view(3.0, 5.0)
    assert lane.viewbox.viewRange()[0] == pytest.approx([3.0, 5.0], abs=1e-6)
    win.region.set(3.5, 4.0)
    assert lane.region_item.isVisible()
    assert lane.region_item.getRegion() == pytest.approx((3.5, 4.0))
    win.playhead.set_position(4.2)
    assert lane.playhead.value() == pytest.approx(4.2)
    assert lane.curves.envelopes[0].columns > 0
    win.lanes.remove_lane(lane)
    assert win.lanes.lanes == [] and not win.lanes.isVisible()
    # status and errors
    win.status("hello")
    assert win.statusBar().currentMessage() == "hello"
    win.report_error("Upload failed", "The server said no.")
    assert win.errors.history[-1] == ("Upload failed", "The server said no.")
    assert win.workers is not None


def test_click_seeks(qtbot, loaded):
    d = loaded.detail
    seeks = []
    loaded.playhead.seek_requested.connect(seeks.append)
    QTest.mouseClick(d.plot_widget.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, to_viewport(d.plot_widget, 7.5, 0.5))
    qtbot.wait(10)
    assert seeks and seeks[0] == pytest.approx(7.5, abs=0.05)
    assert d.playhead.value() == pytest.approx(seeks[0])
    assert loaded.overview.playhead.value() == pytest.approx(seeks[0])


def test_region_advice_follows_settings(loaded):
    loaded.region.set(1.0, 5.0)
    assert loaded.region.warnings == []
    loaded.settings.set("region/warn_shorter_than", 5.0)
    assert any("shorter than 5 s" in w for w in loaded.region.warnings)
    assert "shorter than 5 s" in loaded.region_fields.message.text()


def test_dock_layout_is_restored(qtbot, settings, workers):
    from PySide6.QtCore import Qt as _Qt

    from tests.gui.conftest import make_window

    first = make_window(settings, workers)
    qtbot.addWidget(first)
    dock = first.add_dock(QLabel("panel"), "Jobs", _Qt.DockWidgetArea.LeftDockWidgetArea)
    first.show()
    qtbot.waitExposed(first)
    first.close()
    second = make_window(settings, workers)
    qtbot.addWidget(second)
    dock2 = second.add_dock(QLabel("panel"), "Jobs")  # added on the right ...
    second.restore_state()
    assert second.dockWidgetArea(dock2) == _Qt.DockWidgetArea.LeftDockWidgetArea  # ... put back
    assert first.dockWidgetArea(dock) == _Qt.DockWidgetArea.LeftDockWidgetArea
