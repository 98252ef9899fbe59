"""The song's musical map in the editor, on a synthesised song with a known grid (core/synth.py
at 120 BPM: a beat every 0.5 s, a 4/4 bar every 2 s from 0 s), decoded from a real FLAC file
and analysed by the real MusicMapService worker: bar and beat lines, the bars.beats ruler,
snapping of dragged edges, bars.beats typed into the region fields, and the cache on reopen."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest

from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song
from tests.gui.conftest import install_all, to_viewport

SECONDS, BPM, BAR_S = 30.0, 120.0, 2.0


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    path = tmp_path_factory.mktemp("mapsong") / "band120.flac"
    encode_audio(synth_song(SECONDS, bpm=BPM, seed=0), path)
    return path


@pytest.fixture
def editor(qtbot, window, tmp_path):
    services, features = install_all(window, tmp_path, map_songs=True)
    return window, services.music_map, features.music_map


@pytest.fixture(scope="module")
def song_map(song):
    """The song's map, analysed once for the tests that use a map rather than make one."""
    from inpaint_studio.core.decode import load_audio
    from inpaint_studio.musicmap import pipeline

    return pipeline.analyze(load_audio(song))


@pytest.fixture
def mapped_editor(editor, song, song_map, tmp_path):
    """The editor with `song` already in its map cache (as after an earlier session): opening
    it reads the map, through the same lookup, instead of analysing it again."""
    from inpaint_studio.musicmap import cache

    assert cache.store(tmp_path / "cache" / "musicmap", cache.file_key(song), song_map)
    return editor


def open_and_map(qtbot, window, service, path):
    """Open `path` and wait for it to load and for its map; returns (MapReady, GUI-loop ticks
    seen while the map was being computed, the order of "loaded" and "ready")."""
    order: list[str] = []
    window.document.loaded.connect(lambda: order.append("loaded"))
    service.ready.connect(lambda _r: order.append("ready"))
    ticks = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: service.busy and ticks.append(1))
    timer.start()
    got = []
    service.ready.connect(got.append)
    with qtbot.waitSignals([window.document.loaded, service.ready], timeout=120000):
        window.open_file(path)
    timer.stop()
    qtbot.wait(20)
    return got[0], len(ticks), order


def on_synth_grid(t: float, step: float = BAR_S, tol: float = 0.03) -> bool:
    return abs(t / step - round(t / step)) * step <= tol


def test_the_map_arrives_from_the_worker_and_bar_lines_sit_on_the_bars(qtbot, editor, song):
    window, service, feature = editor
    result, ticks, order = open_and_map(qtbot, window, service, song)
    m = result.map
    assert not result.cached and service.analysed == 1
    assert result.pid is not None and result.pid != os.getpid()  # analysed in its own process
    assert order == ["loaded", "ready"]  # the waveform never waited for the map
    assert ticks > 0  # the GUI loop kept running while the worker analysed
    assert m.tempo_bpm == pytest.approx(BPM, rel=0.02) and m.time_signature == "4/4"
    # the map's bars are the song's: every bar line on the 2-s grid, none missing after 2 s
    assert all(on_synth_grid(d) for d in m.downbeats)
    found = {round(d / BAR_S) for d in m.downbeats}
    assert set(range(1, int(SECONDS / BAR_S) - 1)) <= found

    # drawn on the detail view: fit the song, paint, and look at what was drawn
    window.detail.fit()
    window.detail.plot_widget.grab()
    bars, beats = window.detail.grid.drawn
    for k in range(1, int(SECONDS / BAR_S) - 1):
        assert min(abs(bars - k * BAR_S)) < 0.03, f"no bar line at {k * BAR_S} s"
    assert len(beats) >= 3 * (len(bars) - 1)  # three beats between bar lines, fainter
    assert all(on_synth_grid(b, 0.5) for b in beats)
    # zoomed out so far that bars would be 2 px apart: beats go, bars are thinned
    assert window.detail.grid.visible_lines(0, SECONDS, 30)[1].size == 0
    thinned = window.detail.grid.visible_lines(0, SECONDS, 30)[0]
    assert 0 < len(thinned) < len(m.downbeats)
    assert min(b - a for a, b in zip(thinned, thinned[1:], strict=False)) * 30 / SECONDS >= 8

    # the ruler reads bars.beats, and View ▸ Ruler ▸ Time puts m:ss back
    ruler = window.detail.ruler
    assert ruler.showing_bars
    ticks = ruler.tickValues(0.0, SECONDS, 1000)
    assert ruler.tickStrings(ticks[0][1][:2], 1, ticks[0][0]) == ["1", "2"]
    assert ruler.label_of(m.downbeats[2]) == "3"
    beat_after = m.beats[m.beats.index(m.downbeats[2]) + 2]
    assert ruler.label_of(beat_after) == "3.3"
    close = ruler.tickValues(m.downbeats[2] - 0.1, m.downbeats[2] + 2.0, 1000)
    assert ruler.tickStrings(close[0][1][:2], 1, close[0][0]) == ["3", "3.2"]
    feature.set_ruler("time")
    assert not ruler.showing_bars and window.settings.get("view/ruler") == "time"
    assert ruler.tickStrings([0, 60], 1, 5) == ["0:00", "1:00"]
    feature.set_ruler("bars")
    # tempo, metre and key in the status bar
    assert "120 BPM" in feature.label.text() and "4/4" in feature.label.text()
    assert m.key and m.key in feature.label.text()


def _drag(qtbot, plot_widget, t0, t1, y=0.5, modifier=Qt.KeyboardModifier.NoModifier):
    vp = plot_widget.viewport()
    p0, p1 = to_viewport(plot_widget, t0, y), to_viewport(plot_widget, t1, y)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, modifier, p0)
    for i in range(1, 7):
        qtbot.wait(20)
        p = p0 + (p1 - p0) * (i / 6)
        QTest.mouseMove(vp, QPoint(p))
    qtbot.wait(20)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, modifier, p1)
    qtbot.wait(10)


def test_dragged_regions_snap_to_bars_or_beats_and_shift_drags_freely(qtbot, mapped_editor, song):
    window, service, feature = mapped_editor
    m = open_and_map(qtbot, window, service, song)[0].map
    window.detail.fit()
    qtbot.wait(10)
    region = window.region
    near = lambda grid, t: min(grid, key=lambda g: abs(g - t))  # noqa: E731

    _drag(qtbot, window.detail.plot_widget, 4.3, 9.3)  # a new region: both ends snap to bars
    r = region.region
    assert (r.start, r.end) == pytest.approx((near(m.downbeats, 4.3), near(m.downbeats, 9.3)),
                                             abs=1 / 44100)
    assert on_synth_grid(r.start) and on_synth_grid(r.end)
    assert r.start == pytest.approx(4.0, abs=0.03) and r.end == pytest.approx(10.0, abs=0.03)
    assert "bars 2.1 – 5.1 (3 bars)" in window.region_fields.message.text()

    _drag(qtbot, window.detail.plot_widget, r.end, 13.4)  # its right edge, to the bar at 14 s
    r2 = region.region
    assert r2.start == r.start  # the edge not dragged stays
    assert r2.end == pytest.approx(near(m.downbeats, 13.4), abs=1 / 44100)
    assert r2.end == pytest.approx(14.0, abs=0.03)
    assert window.detail.region_item.getRegion() == pytest.approx((r2.start, r2.end))

    feature.set_snap("beat")
    _drag(qtbot, window.detail.plot_widget, r2.end, 15.3)  # to the nearest beat: 15.5 s
    assert region.region.end == pytest.approx(near(m.beats, 15.3), abs=1 / 44100)
    assert region.region.end == pytest.approx(15.5, abs=0.03)

    feature.set_snap("bar")
    _drag(qtbot, window.detail.plot_widget, region.region.end, 17.3,
          modifier=Qt.KeyboardModifier.ShiftModifier)  # Shift: free
    assert region.region.end == pytest.approx(17.3, abs=0.1)
    assert min(abs(b - region.region.end) for b in m.beats) > 0.05

    feature.set_snap("off")
    _drag(qtbot, window.detail.plot_widget, 20.3, 23.3)
    assert (region.region.start, region.region.end) == pytest.approx((20.3, 23.3), abs=0.1)


def _type(field, text):
    field.setFocus()
    field.selectAll()
    QTest.keyClicks(field, text)
    QTest.keyClick(field, Qt.Key.Key_Return)


def test_bars_beats_typed_into_the_region_fields(qtbot, mapped_editor, song):
    window, service, _ = mapped_editor
    m = open_and_map(qtbot, window, service, song)[0].map
    f = window.region_fields
    assert "33.1" in f.start.toolTip()
    _type(f.start, "3.1")
    _type(f.end, "5.1")
    r = window.region.region
    assert (r.start, r.end) == pytest.approx((m.downbeats[2], m.downbeats[4]), abs=1 / 44100)
    # bar 1 is the first bar the map found; bars 3 and 5 are 4 s (two 4/4 bars at 120) apart
    assert r.length == pytest.approx(2 * BAR_S, abs=0.03)
    assert on_synth_grid(r.start) and on_synth_grid(r.end)
    assert f.start.text().startswith("0:0") and "bars 3.1 – 5.1 (2 bars)" in f.message.text()
    _type(f.length, "4 bars")  # a length in bars moves the end
    assert window.region.region.end == pytest.approx(m.downbeats[6], abs=1 / 44100)
    _type(f.end, "7.3")  # bar 7, beat 3
    assert window.region.region.end == pytest.approx(m.beats[m.beats.index(m.downbeats[6]) + 2],
                                                     abs=1 / 44100)
    # times still work: with a colon or an "s"; a typed region is never snapped
    _type(f.start, "0:02.25")
    _type(f.end, "9.1s")
    assert (window.region.region.start, window.region.region.end) == (2.25, 9.1)
    assert "≈" in f.message.text()
    # a bar the song does not have is refused, and the region stays
    f.end.setFocus()
    f.end.selectAll()
    QTest.keyClicks(f.end, "99.1")
    QTest.keyClick(f.end, Qt.Key.Key_Return)
    assert "bar 99" in f.message.text()
    assert window.region.region.end == 9.1


def test_reopening_a_song_shows_its_map_from_the_cache(qtbot, editor, song, tmp_path):
    window, service, _ = editor
    first, _, _ = open_and_map(qtbot, window, service, song)
    entries = list((tmp_path / "cache" / "musicmap").glob("*.json"))
    assert len(entries) == 1 and not first.cached and service.analysed == 1
    stamp = entries[0].stat().st_mtime_ns
    assert service.started_count == 2  # the first time: a cache lookup, then the analysis
    second, _, _ = open_and_map(qtbot, window, service, song)
    assert second.cached and service.analysed == 1  # read, not analysed again
    assert service.started_count == 3  # only the lookup (started as the song began to load)
    assert entries[0].stat().st_mtime_ns == stamp
    assert second.map.downbeats == first.map.downbeats
    window.detail.plot_widget.grab()
    assert len(window.detail.grid.drawn[0]) > 0  # the bar lines are back


def test_a_song_without_a_beat_gets_no_grid_and_no_snapping(qtbot, editor, audio_file):
    window, service, feature = editor
    result, _, _ = open_and_map(qtbot, window, service, audio_file(".flac", seconds=12.0))
    assert not result.map.steady_beat
    assert "no steady beat" in feature.label.text()
    assert not window.detail.ruler.showing_bars
    window.detail.plot_widget.grab()
    assert len(window.detail.grid.drawn[0]) == 0
    _drag(qtbot, window.detail.plot_widget, 2.3, 5.3)
    assert (window.region.region.start, window.region.region.end) == pytest.approx(
        (2.3, 5.3), abs=0.1)


def test_the_editor_starts_without_loading_the_analysis(tmp_path):
    """The musicmap package (numpy/scipy-heavy) is imported by the worker, not at start-up."""
    code = (f"d = {str(tmp_path)!r}\n"
            "import sys, os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
            "from PySide6.QtWidgets import QApplication; app = QApplication([])\n"
            "from inpaint_studio import app as a\n"
            "from inpaint_studio.services.settings import Settings\n"
            "from inpaint_studio.services.worker import WorkerPool\n"
            "e = a.build_editor(Settings(d + '/s.ini'), WorkerPool(), screenshot=True,"
            " cache_dir=__import__('pathlib').Path(d))\n"
            "assert e.features.music_map is not None\n"
            "print(sorted(m for m in sys.modules if m.startswith('inpaint_studio.musicmap')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ,
                                           "PYTHON_KEYRING_BACKEND":
                                           "keyring.backends.null.Keyring"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def double_click(qtbot, plot_widget, t, modifier=Qt.KeyboardModifier.NoModifier):
    """Press, release, press (a double click), release: pyqtgraph reports the double click on
    the second release."""
    vp, p = plot_widget.viewport(), to_viewport(plot_widget, t, 0.5)
    QTest.mouseDClick(vp, Qt.MouseButton.LeftButton, modifier, p)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, modifier, p)
    qtbot.wait(10)


def test_double_click_selects_a_bar_and_shift_double_click_its_section(qtbot, mapped_editor, song):
    window, service, _ = mapped_editor
    m = open_and_map(qtbot, window, service, song)[0].map
    window.detail.fit()
    qtbot.wait(10)
    double_click(qtbot, window.detail.plot_widget, 7.0)
    r = window.region.region
    i = m.downbeats.index(max(d for d in m.downbeats if d <= 7.0))
    assert (r.start, r.end) == pytest.approx((m.downbeats[i], m.downbeats[i + 1]), abs=1 / 44100)
    assert r.start == pytest.approx(6.0, abs=0.03) and r.end == pytest.approx(8.0, abs=0.03)
    double_click(qtbot, window.detail.plot_widget, 7.0, Qt.KeyboardModifier.ShiftModifier)
    section = next((a, b) for a, b, _ in m.sections if a <= 7.0 < b)
    assert (window.region.region.start, window.region.region.end) == pytest.approx(
        section, abs=1 / 44100)


def test_opening_another_song_mid_analysis_ends_the_first_analysis(qtbot, editor, song,
                                                                   audio_file):
    import multiprocessing

    window, service, _ = editor
    other = audio_file(".flac", seconds=8.0)
    readies, stages = [], []
    service.ready.connect(readies.append)
    service.progressed.connect(lambda _f, stage: stages.append(stage))
    with qtbot.waitSignal(service.progressed, timeout=60000):  # the first song's analysis runs
        window.open_file(song)
    with qtbot.waitSignal(service.ready, timeout=120000):
        window.open_file(other)
    qtbot.wait(50)
    assert [r.path for r in readies] == [str(other)]  # the first song's map never arrived
    assert service.analysed == 1
    assert not [p for p in multiprocessing.active_children() if p.name == "music map"]
