"""The compare feature in a real window (offscreen): keys, lanes, seek, loop, seams, loudness
matching, blind mode, and what the app says when there is no audio output.

The player here runs on the null output (a clock with no device: these tests are about the GUI;
tests/playback covers the real PulseAudio path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from inpaint_studio.core.audio import Audio
from inpaint_studio.gui.compare_panel import CompareFeature
from inpaint_studio.playback.engine import PlaybackEngine
from inpaint_studio.services.player import Player
from inpaint_studio.services.seam_readout import SeamReadout

from .conftest import drag, to_viewport


@pytest.fixture
def compare(qtbot, loaded):
    player = Player(loaded.workers, use_device=False, parent=loaded)
    with qtbot.waitSignal(player.sources_changed, timeout=10000):
        feature = CompareFeature(loaded, player, SeamReadout(loaded.workers, parent=loaded))
        feature._on_song_loaded()  # the song was loaded before the feature was installed
    yield feature
    player.close()


def versions_of(song: Audio) -> list[tuple[int, Audio]]:
    """Version 1: the song 3 dB louder. Version 2: the song with 8–12 s replaced by noise."""
    louder = Audio((song.samples * np.float32(10 ** (3 / 20))).astype(np.float32), song.sample_rate)
    other = song.samples.copy()
    a, b = 8 * song.sample_rate, 12 * song.sample_rate
    rng = np.random.default_rng(3)
    other[:, a:b] = (rng.standard_normal((song.channels, b - a)) * 0.1).astype(np.float32)
    return [(1, louder), (2, Audio(other, song.sample_rate))]


class Job:
    start, end = 8.0, 12.0


def key(window, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    window.activateWindow()
    QTest.keyClick(window, k, modifier)


def load_versions(qtbot, feature) -> None:
    with qtbot.waitSignal(feature.player.sources_changed, timeout=10000):
        feature.set_versions(versions_of(feature.window.document.audio), job=Job())
    qtbot.waitUntil(lambda: len(feature.readouts) == 2
                    and all(r.metrics is not None or r.metrics_error
                            for r in feature.readouts.values()), timeout=60000)


def test_space_plays_and_the_playhead_follows(qtbot, compare):
    win, player = compare.window, compare.player
    key(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.playing and win.playhead.position > 0.2, timeout=3000)
    assert compare.bar.play_button.text() == "Pause"
    assert win.detail.playhead.value() == pytest.approx(win.playhead.position, abs=0.05)
    key(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not player.playing, timeout=2000)
    held = player.position
    qtbot.wait(150)
    assert player.position == held
    key(win, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)  # stop: back to the start
    qtbot.waitUntil(lambda: player.position == 0.0, timeout=2000)


def test_keys_switch_takes_at_the_same_playhead(qtbot, compare):
    win, player = compare.window, compare.player
    key(win, Qt.Key.Key_2)  # no versions yet: says so, keeps the original
    assert "not" in win.statusBar().currentMessage() and player.audible == "original"
    load_versions(qtbot, compare)
    assert [lane.title.text() for lane in win.lanes.lanes] == ["Version 1", "Version 2"]
    assert player.names == ("original", "v1", "v2")
    key(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.position > 0.3, timeout=3000)
    for k, name in ((Qt.Key.Key_2, "v1"), (Qt.Key.Key_3, "v2"), (Qt.Key.Key_1, "original")):
        before = player.position
        with qtbot.waitSignal(player.audible_changed, timeout=2000) as heard:
            key(win, k)
        assert heard.args == [name]
        # switching never moves the playhead back or away: it only keeps running
        assert before <= player.position < before + 0.5
        assert compare.bar.hearing_label.text().endswith(compare._label(name))
    assert compare.lanes["v1"].title.styleSheet().count("bold") == 0
    QTest.mouseClick(compare.lanes["v2"].title, Qt.MouseButton.LeftButton)  # click a lane
    qtbot.waitUntil(lambda: player.engine.audible == "v2", timeout=2000)
    assert "bold" in compare.lanes["v2"].title.styleSheet()


def test_changed_spans_and_seam_readout_per_take(qtbot, compare):
    load_versions(qtbot, compare)
    v2 = compare.readouts["v2"]
    assert len(v2.changed) == 1
    assert v2.changed[0][0] == pytest.approx(8.0, abs=0.1)
    assert v2.changed[0][1] == pytest.approx(12.0, abs=0.1)
    assert compare.readouts["v1"].changed == []  # louder, but the same music
    assert len(compare.marks["v2"].items) == 3  # one changed span, two seams
    table = compare.table.table
    assert table.rowCount() == 2
    rows = {table.item(r, 0).text(): r for r in range(2)}
    assert "0:08" in table.item(rows["Version 2"], 1).text()
    assert v2.metrics is not None or v2.metrics_error


def test_click_seeks_and_the_loop_and_seam_keys(qtbot, compare):
    win, player = compare.window, compare.player
    vp = win.detail.plot_widget.viewport()
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     to_viewport(win.detail.plot_widget, 12.0))
    qtbot.waitUntil(lambda: abs(player.position - 12.0) < 0.2, timeout=2000)
    key(win, Qt.Key.Key_L)  # no region: the loop says why it stays off
    assert not player.loop_enabled and "region" in win.statusBar().currentMessage()
    win.region.set(6.0, 9.0)
    key(win, Qt.Key.Key_L)
    assert player.loop_enabled and player.loop_span() == (4.0, 11.0)
    assert compare.bar.loop_button.isChecked()
    # turning the loop on plays it, from its pre-roll
    qtbot.waitUntil(lambda: player.playing and 4.0 <= player.position < 11.0, timeout=2000)
    pre, post = compare.rolls  # the pre- and post-roll are drawn on the detail view
    assert pre.isVisible() and pre.getRegion() == pytest.approx((4.0, 6.0))
    assert post.isVisible() and post.getRegion() == pytest.approx((9.0, 11.0))
    compare.bar.pre_roll.setValue(1.0)
    assert player.loop_span() == (5.0, 11.0)
    assert pre.getRegion() == pytest.approx((5.0, 6.0))
    compare.bar.post_roll.setValue(0.0)
    assert not post.isVisible()
    compare.bar.post_roll.setValue(2.0)
    key(win, Qt.Key.Key_BracketRight)  # 2 s either side of the right seam (9 s)
    qtbot.waitUntil(lambda: player.playing and 7.0 < player.position < 8.0, timeout=2000)
    key(win, Qt.Key.Key_BracketLeft)
    qtbot.waitUntil(lambda: 4.0 < player.position < 5.0, timeout=2000)


def test_loudness_match_shows_and_applies_the_gain(qtbot, compare):
    load_versions(qtbot, compare)
    key(compare.window, Qt.Key.Key_M)
    assert compare.bar.loudness_box.isChecked()
    assert compare.player.gains_db["v1"] == pytest.approx(-3.0, abs=0.1)
    assert "-3.0 dB" in compare.bar.gain_label.text()
    qtbot.waitUntil(lambda: compare.player.engine.mixer.sources.gains[1]
                    == pytest.approx(10 ** (-3 / 20), rel=0.02), timeout=2000)
    key(compare.window, Qt.Key.Key_M)
    assert compare.player.gains_db == {} and compare.bar.gain_label.text() == ""


def test_blind_mode_hides_then_reveals(qtbot, compare):
    load_versions(qtbot, compare)
    win = compare.window
    key(win, Qt.Key.Key_B)
    assert compare.blind
    assert sorted(lane.title.text() for lane in win.lanes.lanes) == [
        "Version A — hidden until you pick", "Version B — hidden until you pick"]
    # Nothing tells them apart by eye: the same colour, no waveform, no changed spans.
    a, b = win.lanes.lanes
    assert a.curves.colours == b.curves.colours
    assert a.curves.peaks is None and b.curves.peaks is None
    assert all(len(compare.marks[n].items) == 2 for n in compare.lanes)  # the two seams only
    assert not compare.table.table.isVisible()
    assert compare.bar.source_buttons[1].text() == "2  Version A"  # which one is hidden
    key(win, Qt.Key.Key_2)  # Version A, whichever version that is
    first = compare.blind_order[0]
    qtbot.waitUntil(lambda: compare.player.engine.audible == first, timeout=2000)
    assert compare.bar.hearing_label.text() == "Hearing: Version A"
    message = compare.pick()
    assert message is not None and "Version A" in message
    assert {"1": "v1", "2": "v2"}[message.split("which is Version ")[1][0]] == first
    assert not compare.blind and compare.picked == first
    assert [lane.title.text() for lane in win.lanes.lanes] == ["Version 1", "Version 2"]


def test_without_an_audio_device_the_window_says_why_and_works(qtbot, loaded):
    engine = PlaybackEngine(device="no such device anywhere")  # PortAudio refuses it
    player = Player(loaded.workers, engine=engine, parent=loaded)
    try:
        feature = CompareFeature(loaded, player, SeamReadout(loaded.workers, parent=loaded))
        assert not player.available
        assert "Playback is off" in feature.bar.output_label.text()
        assert "could not be opened" in feature.bar.output_label.text()
        with qtbot.waitSignal(player.sources_changed, timeout=10000):
            feature._on_song_loaded()
        key(loaded, Qt.Key.Key_Space)  # the clock still runs: seams and loops can be set up
        qtbot.waitUntil(lambda: loaded.playhead.position > 0.2, timeout=3000)
    finally:
        player.close()


APP_WITHOUT_SOUND = """
import sys
from PySide6.QtWidgets import QApplication
from inpaint_studio import app as composition
from inpaint_studio.services.job_controller import JobStore
from inpaint_studio.services.settings import Settings
from inpaint_studio.services.worker import WorkerPool
from pathlib import Path
app = QApplication([])
home = Path(sys.argv[2]).parent
# the app's own wiring, with the default player: it tries the sound device
editor = composition.build_editor(Settings(sys.argv[2]), WorkerPool(),
                                  job_store=JobStore(home / "jobs.sqlite3"),
                                  cache_dir=home / "cache", autosave_dir=home / "autosave")
window, feature = editor.window, editor.features.compare
window.show()
window.open_file(sys.argv[1])
import time
deadline = 200
while window.document.state != "ready" and deadline:
    app.processEvents(); time.sleep(0.05); deadline -= 1
while not feature.player.names and deadline:
    app.processEvents(); time.sleep(0.05); deadline -= 1
feature.toggle_play()
for _ in range(20):
    app.processEvents(); time.sleep(0.05)
print(feature.player.available, window.playhead.position > 0.3)
print(feature.bar.output_label.text())
editor.services.shutdown()
"""


@pytest.mark.slow
def test_app_starts_without_a_sound_server_and_says_why(tmp_path, audio_file):
    song = audio_file(".wav", seconds=5.0)
    env = {**os.environ, "PULSE_SERVER": "unix:/nonexistent/pulse/native",
           "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", APP_WITHOUT_SOUND, str(song),
                          str(tmp_path / "settings.ini")], env=env, capture_output=True,
                         text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert lines[-2] == "False True"  # no device, and the playhead still runs
    assert lines[-1].startswith("Playback is off") and "could not be opened" in lines[-1]


def test_dragging_the_playhead_seeks(qtbot, compare):
    win, player = compare.window, compare.player
    plot = win.detail.plot_widget
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     to_viewport(plot, 10.0))
    qtbot.waitUntil(lambda: abs(player.position - 10.0) < 0.2, timeout=2000)
    start = win.playhead.position
    drag(qtbot, plot, start, start + 4.0)
    qtbot.waitUntil(lambda: abs(player.position - (start + 4.0)) < 0.2, timeout=2000)
    assert win.region.region is None  # a drag on the playhead seeks; it selects nothing


def test_lanes_use_given_summaries_and_build_missing_ones_off_the_gui_thread(qtbot, compare,
                                                                            monkeypatch):
    import threading

    from inpaint_studio.core.peaks import PeakPyramid

    versions = versions_of(compare.window.document.audio)
    given = PeakPyramid.from_samples(versions[0][1].samples, versions[0][1].sample_rate)
    threads = []
    build = PeakPyramid.from_samples

    def recorded(samples, rate):
        threads.append(threading.current_thread())
        return build(samples, rate)

    monkeypatch.setattr(PeakPyramid, "from_samples", staticmethod(recorded))
    compare.set_versions(versions, job=Job(), peaks={1: given, 2: None})
    assert compare.lanes["v1"].curves.peaks is given  # drawn at once from what was handed over
    assert compare.lanes["v2"].curves.peaks is None  # not built on the GUI thread ...
    qtbot.waitUntil(lambda: compare.lanes["v2"].curves.peaks is not None, timeout=10000)
    assert compare.lanes["v2"].audio is versions[1][1]  # ... but in a worker, then drawn
    assert threads and threading.main_thread() not in threads
    compare.set_blind(True)  # blind lanes draw no waveform (it would tell them apart) ...
    assert {lane.curves.peaks for lane in compare.lanes.values()} == {None}
    compare.set_blind(False)  # ... and lanes made again reuse the summaries
    assert {lane.curves.peaks for lane in compare.lanes.values()} == set(compare.peaks.values())
    assert len(threads) == 1


def test_the_player_says_while_it_prepares_new_sources(qtbot, compare):
    assert not compare.player.preparing
    with qtbot.waitSignal(compare.player.sources_changed, timeout=10000):
        compare.set_versions(versions_of(compare.window.document.audio), job=Job())
        assert compare.player.preparing  # the keep feature waits on this before auditioning
    assert not compare.player.preparing


def test_the_detail_view_pages_forward_with_the_playhead(qtbot, compare):
    win, player = compare.window, compare.player
    win.detail.set_view(0.0, 0.5)  # zoomed in: the playhead leaves the view within a second
    key(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.playing and win.playhead.position > 0.8, timeout=5000)
    x0, x1 = win.detail.visible_range()
    assert x0 > 0.3 and x1 - x0 == pytest.approx(0.5, rel=0.05)  # paged on, same zoom
    assert x0 <= win.playhead.position <= x1 + 0.1  # (the playhead moves on as we look)
    key(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not player.playing, timeout=2000)


def test_the_seams_panel_speaks_plainly_with_numbers_on_demand(qtbot, compare):
    load_versions(qtbot, compare)
    qtbot.waitUntil(lambda: all(r.metrics is not None or r.metrics_error
                                for r in compare.readouts.values()), timeout=60000)
    table = compare.table.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    cells = [table.item(r, c).text() for r in range(table.rowCount())
             for c in range(table.columnCount())]
    words = " ".join(headers + cells)
    for jargon in ("novelty", " z ", "Beat phase", "orig ", "check:", "beat_phase", "ΔLU"):
        assert jargon not in words, jargon
    assert "How much the seams stand out" in headers and "On the beat?" in headers
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    seam = table.item(rows["Version 2"], 2)
    assert seam.text().startswith("left: ") and "z-score" in seam.toolTip()
    compare.table.numbers.setChecked(True)  # the numbers on demand, in the cells
    seam = table.item(rows["Version 2"], 2)
    assert "(orig " in seam.text() and seam.text()[0].isdigit()
