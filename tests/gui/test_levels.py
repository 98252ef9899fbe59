"""Levels you can see and set (issue 18, point 5), in a real offscreen window: the dB amplitude
view of the waveform and the lanes, the transport's peak/RMS meter fed from what the player
plays, the output volume (a gain the player applies, remembered) and the output device choice
(remembered). The player runs on the null output here (a clock with no device: these tests are
about the GUI; tests/playback covers the real PulseAudio path and the idle underruns)."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.gui.compare_panel import CompareFeature
from inpaint_studio.gui.level_meter import FLOOR_DB
from inpaint_studio.gui.transport_bar import DEFAULT_DEVICE
from inpaint_studio.gui.waveform import channel_centre, db_scale
from inpaint_studio.services.player import Player, measure_levels, volume_gain
from inpaint_studio.services.seam_readout import SeamReadout
from inpaint_studio.services.settings import Settings

from .conftest import load

RATE = 44100


def _sine(level_db: float, seconds: float, freq: float = 441.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def loud_minus60(tmp_path):
    """A 4 s stereo WAV: left a sine at full scale (−0.1 dBFS), right at −60 dBFS."""
    path = tmp_path / "loud-and-quiet.wav"
    encode_audio(Audio(np.stack([_sine(-0.1, 4.0), _sine(-60.0, 4.0)]), RATE), path)
    return path


def test_db_scale_puts_full_scale_at_the_edge_and_minus_60_on_the_centre_line():
    v = np.array([1.0, -1.0, 10 ** (-60 / 20), -(10 ** (-60 / 20)), 10 ** (-30 / 20), 0.0,
                  1e-9], dtype=np.float32)
    assert db_scale(v) == pytest.approx([1.0, -1.0, 0.0, 0.0, 0.5, 0.0, 0.0], abs=1e-5)
    # monotonic, so a min/max column stays one
    x = np.linspace(-1, 1, 2001, dtype=np.float32)
    assert np.all(np.diff(db_scale(x)) >= 0)


def _column_extent(curves, channel: int) -> tuple[float, float]:
    """The drawn envelope of `channel` relative to its centre line: (lowest, highest)."""
    rects = curves.envelopes[channel].data()
    centre = channel_centre(channel, len(curves.envelopes))
    return float(np.min(rects[:, 1]) - centre), float(np.max(rects[:, 1] + rects[:, 3]) - centre)


def test_the_db_view_draws_full_scale_at_the_edge_and_minus_60_at_the_centre(
        qtbot, window, loud_minus60):
    load(qtbot, window, loud_minus60)
    detail = window.detail.curves
    detail.refresh(force=True)
    lo, hi = _column_extent(detail, 0)
    assert lo == pytest.approx(-0.99, abs=0.02) and hi == pytest.approx(0.99, abs=0.02)
    lo, hi = _column_extent(detail, 1)
    assert hi - lo < 0.02  # −60 dBFS is a hair in linear view...
    assert window.settings.get("view/amplitude") == "linear"

    window.db_action.trigger()  # View ▸ Amplitude in dB
    assert window.settings.get("view/amplitude") == "db"
    for curves in (window.detail.curves, window.overview.curves):
        assert curves.amplitude == "db"
        lo, hi = _column_extent(curves, 0)
        assert lo == pytest.approx(-1.0, abs=0.01) and hi == pytest.approx(1.0, abs=0.01)
        lo, hi = _column_extent(curves, 1)
        assert hi - lo < 0.1  # ...and sits on the centre line in dB view (a pixel's height)
        assert abs(lo + hi) < 1e-3

    # a lane added now draws in dB too: a −30 dBFS sine reaches half way
    quiet = Audio(np.stack([_sine(-30.0, 4.0)] * 2), RATE)
    lane = window.lanes.add_lane("Version 1", quiet)
    lane.curves.refresh(force=True)
    lo, hi = _column_extent(lane.curves, 0)
    assert lo == pytest.approx(-0.5, abs=0.02) and hi == pytest.approx(0.5, abs=0.02)

    window.db_action.trigger()  # back to linear, lanes included
    assert window.settings.get("view/amplitude") == "linear"
    lo, hi = _column_extent(lane.curves, 0)
    assert hi == pytest.approx(10 ** (-30 / 20), abs=0.005)


def test_the_db_view_is_remembered(qtbot, settings, workers, tmp_path):
    settings.set("view/amplitude", "db")
    settings.flush()
    from .conftest import make_window

    win = make_window(Settings(tmp_path / "settings.ini"), workers)
    qtbot.addWidget(win)
    assert win.db_action.isChecked()
    assert win.detail.curves.amplitude == "db" and win.lanes.amplitude == "db"


@pytest.fixture
def compare(qtbot, window, loud_minus60):
    load(qtbot, window, loud_minus60)
    player = Player(window.workers, use_device=False, parent=window)
    with qtbot.waitSignal(player.sources_changed, timeout=10000):
        feature = CompareFeature(window, player, SeamReadout(window.workers, parent=window),
                                 settings=window.settings)
        feature._on_song_loaded()  # the song was loaded before the feature was installed
    yield feature
    player.close()


def test_measure_levels_reads_the_last_50_ms_before_the_playhead():
    song = Audio(np.stack([_sine(0.0, 1.0), _sine(-20.0, 1.0)]), RATE)
    levels = measure_levels(song, 0.5, gain=1.0)
    assert levels.peak == pytest.approx((1.0, 0.1), rel=0.01)
    assert levels.rms == pytest.approx((2 ** -0.5, 0.1 * 2 ** -0.5), rel=0.01)
    half = measure_levels(song, 0.5, gain=0.5)
    assert half.peak[0] == pytest.approx(0.5, rel=0.01)
    assert measure_levels(song, 0.0, gain=1.0).peak == (0.0, 0.0)  # nothing before the start


def test_the_meter_shows_what_plays_and_is_empty_when_stopped(qtbot, compare):
    meter, player = compare.bar.meter, compare.player
    assert not meter.active and meter.rms_db == [FLOOR_DB, FLOOR_DB]
    player.play()
    qtbot.waitUntil(lambda: meter.active and player.position > 0.2, timeout=3000)
    # left: a full-scale sine (RMS −3 dBFS, peak 0), right: −60 dBFS (at the floor)
    qtbot.waitUntil(lambda: meter.rms_db[0] == pytest.approx(-3.1, abs=0.3), timeout=2000)
    assert meter.hold_db[0] == pytest.approx(-0.1, abs=0.3)
    assert meter.rms_db[1] == FLOOR_DB
    compare.bar.grab()  # it paints
    player.pause()
    qtbot.waitUntil(lambda: not meter.active, timeout=2000)
    assert meter.rms_db == [FLOOR_DB, FLOOR_DB] and meter.hold_db == [FLOOR_DB, FLOOR_DB]


def test_the_volume_is_the_players_output_gain_and_is_remembered(qtbot, compare, workers,
                                                                   window, tmp_path):
    player = compare.player
    assert compare.bar.volume_slider.value() == 100 and player.volume == 1.0
    compare.bar.volume_slider.setValue(50)
    assert player.volume == pytest.approx(volume_gain(50)) == pytest.approx(0.25)
    assert player.output_gain("original") == pytest.approx(0.25)
    player.set_gains_db({"original": -6.0})  # loudness matching's gain stays under the volume
    assert player.output_gain("original") == pytest.approx(0.25 * 10 ** (-6 / 20))
    player.clear_gains()
    # the mixer (the null output's, on its own thread) plays the source at that gain
    mixer = player.engine.mixer
    qtbot.waitUntil(lambda: mixer.sources is not None
                    and float(mixer.sources.gains[0]) == pytest.approx(0.25), timeout=2000)
    # and the meter shows the quieter output: −12 dB under full volume
    player.play()
    compare.bar.meter.show_levels(None)
    qtbot.waitUntil(lambda: compare.bar.meter.rms_db[0] == pytest.approx(-15.1, abs=0.3),
                    timeout=3000)
    player.pause()
    compare.bar.volume_slider.setValue(0)
    assert player.output_gain("original") == 0.0

    compare.bar.volume_slider.setValue(40)
    window.settings.flush()
    again = Settings(tmp_path / "settings.ini")
    assert again.get("playback/volume") == 40
    other = Player(workers, use_device=False, parent=window)
    try:
        feature = CompareFeature(window, other, SeamReadout(workers, parent=window),
                                 settings=again)
        assert feature.bar.volume_slider.value() == 40
        assert other.volume == pytest.approx(0.16)
    finally:
        other.close()


def test_the_output_device_choice_is_remembered(qtbot, compare, workers, window, tmp_path):
    bar, player = compare.bar, compare.player
    assert bar.device_box.currentText() == DEFAULT_DEVICE and player.device == ""
    bar.show_devices(["Speakers", "Headphones"], player.device)
    bar.device_box.setCurrentIndex(bar.device_box.findText("Headphones"))
    assert player.device == "Headphones"
    window.settings.flush()
    assert Settings(tmp_path / "settings.ini").get("playback/device") == "Headphones"

    other = Player(workers, use_device=False, parent=window)
    try:
        feature = CompareFeature(window, other, SeamReadout(workers, parent=window),
                                 settings=Settings(tmp_path / "settings.ini"))
        assert other.device == "Headphones"
        # not listed (yet, or any more): kept and marked, not silently replaced
        assert feature.bar.device_box.currentText() == "Headphones (not found)"
        feature.bar.show_devices(["Headphones"], other.device)
        assert feature.bar.device_box.currentText() == "Headphones"
        feature.bar.device_box.setCurrentIndex(0)
        assert other.device == ""
    finally:
        other.close()
