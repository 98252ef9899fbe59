"""The real output path: PortAudio → ALSA's pulse plugin → a PulseAudio null sink, recorded from
the sink's monitor; and the null output when there is no device."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.playback.engine import PlaybackEngine
from tests.playback.playback_pulse import RATE, record, tone_level

ROOT = Path(__file__).resolve().parents[2]

# The real-output tests measure what reaches the sink in real time: one worker runs them all,
# one after another (pyproject's `--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("audio")


def sine(freq: float, seconds: float = 6.0, level: float = 0.3) -> Audio:
    t = np.arange(int(seconds * RATE)) / RATE
    row = (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return Audio(np.stack([row, row]), RATE)


def test_device_plays_into_the_sink_and_switches_at_the_same_playhead(pulse_sink):
    # A 100 ms buffer: this test is about the path and the continuity, and must not depend on
    # how busy the machine is (the benchmark measures the default's switch latency).
    engine = PlaybackEngine(latency=0.1)
    try:
        assert engine.output_kind == "device", engine.unavailable_reason
        original, v1 = sine(440), sine(1000)
        engine.set_sources({"original": original, "v1": v1})
        rec = record(pulse_sink.monitor)
        time.sleep(0.2)
        t_play = time.monotonic()
        engine.play()
        time.sleep(0.3)
        settled = engine.underruns  # PortAudio may count one while the stream first fills
        time.sleep(0.4)
        engine.select("v1")
        time.sleep(0.7)
        underruns = engine.underruns - settled
        engine.pause()
        wall = time.monotonic() - t_play
        time.sleep(0.15)
        played = engine.position
    finally:
        engine.close()
    x = rec.stop()[:, 0]
    assert underruns == 0
    # the playhead followed the device clock: at most the wall time between play and pause
    # (sleeps overshoot on a loaded machine, so the bound is measured, not assumed)
    assert 1.2 < played < wall + 0.15
    low, high = tone_level(x, 440, window=1764), tone_level(x, 1000, window=1764)
    heard = np.flatnonzero(np.abs(x) > 0.05)
    first, last = heard[0], heard[-1]
    # what reached the sink is as long as what the playhead says was played (no dropouts)
    assert abs((last - first) / RATE - played) < 0.05
    switch = int(np.argmax(high > 0.15))
    assert first + int(0.6 * RATE) < switch < first + int(0.8 * RATE)
    edge = 1500  # the detector averages over 40 ms; keep its window off the edges
    before = slice(first + edge, switch - edge)
    after = slice(switch + edge, last - edge)
    # one tone at a time, at the level it was made with, and never a gap in between
    np.testing.assert_allclose(low[before], 0.3, atol=0.02)
    np.testing.assert_allclose(high[after], 0.3, atol=0.02)
    assert np.all(high[before] < 0.02) and np.all(low[after] < 0.02)
    assert np.all((low + high)[first + edge : last - edge] > 0.25)
    # sample-continuous: locate timeline frame 0 in the recording from the original's samples,
    # then after the switch every recorded sample is Version 1's at that same timeline frame
    probe = original.samples[0, 2000:3000]
    candidates = range(first - 64, first + 64)
    start = min(candidates, key=lambda s: float(np.sum((x[s + 2000 : s + 3000] - probe) ** 2)))
    k = np.arange(switch - start + 2000, last - start - 2000)
    np.testing.assert_allclose(x[start + k], v1.samples[0, k], atol=2e-4)  # s16le sink


def _run_engine(env: dict[str, str]) -> dict:
    code = (
        "import json, time\n"
        "import numpy as np\n"
        "from inpaint_studio.core.audio import Audio\n"
        "from inpaint_studio.playback.engine import PlaybackEngine\n"
        "e = PlaybackEngine()\n"
        "e.set_sources({'original': Audio(np.zeros((2, 44100 * 5), np.float32), 44100)})\n"
        "t0 = time.monotonic(); e.play(); time.sleep(0.6)\n"
        "pos = e.position; wall = time.monotonic() - t0\n"
        "print(json.dumps({'kind': e.output_kind, 'reason': e.unavailable_reason,\n"
        "                  'position': pos, 'wall': wall, 'playing': e.playing}))\n"
        "e.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", ["no-sound-server", "no-portaudio"])
def test_without_a_device_the_null_output_keeps_the_clock_and_says_why(case, tmp_path):
    if case == "no-sound-server":
        env, why = {"PULSE_SERVER": "unix:/nonexistent/pulse/native"}, "could not be opened"
    else:
        # What sounddevice does when libportaudio is not installed, for the app and the audio
        # process alike: importing it raises OSError.
        (tmp_path / "sounddevice.py").write_text(
            "raise OSError('PortAudio library not found')\n", encoding="utf-8")
        path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
        env, why = {"PYTHONPATH": path}, "PortAudio"
    result = _run_engine(env)
    assert result["kind"] == "null"
    assert why in result["reason"]
    assert result["playing"] and 0.4 < result["position"] <= result["wall"] + 0.1


@pytest.mark.parametrize("isolated", [True, False], ids=["audio-process", "in-process"])
def test_engine_transport_in_seconds_over_the_null_output(isolated):
    engine = PlaybackEngine(use_device=False, isolated=isolated)
    try:
        assert engine.isolated == isolated
        assert engine.output_kind == "null" and engine.unavailable_reason
        tone = sine(440, seconds=20.0)
        engine.set_sources({"original": tone, "v1": tone, "v2": tone})
        engine.set_region((5.0, 8.0))
        assert engine.loop_span() == (3.0, 10.0)
        engine.set_rolls(1.0, 0.5)
        assert engine.loop_span() == (4.0, 8.5)
        engine.set_loop_enabled(True)  # the playhead (0) is outside the loop: go to its start
        t0 = time.monotonic()
        engine.play()
        time.sleep(0.3)
        # upper bounds are the measured wall time (a loaded machine oversleeps), plus a block
        assert 4.1 < engine.position < 4.1 + (time.monotonic() - t0)
        assert engine.mixer.loop == (4 * RATE, int(8.5 * RATE))
        engine.select("v2")
        time.sleep(0.1)
        assert engine.audible == "v2"
        t0 = time.monotonic()
        engine.play_seam("right")  # 6..10 s once, the loop suspended
        time.sleep(0.2)
        assert 6.1 < engine.position < 6.1 + (time.monotonic() - t0)
        assert engine.mixer.loop is None
        engine.stop(return_to=1.0)
        time.sleep(0.1)
        assert not engine.playing and engine.position == pytest.approx(1.0)
        engine.set_gain_db("v1", -6.0)
        time.sleep(0.1)
        assert engine.mixer.sources.gains[1] == pytest.approx(10 ** (-6 / 20))
        # a new song at another rate reopens the output and keeps working
        engine.set_sources({"original": Audio(np.zeros((1, 48000 * 3), np.float32), 48000)})
        assert engine.sample_rate == 48000 and engine.names == ("original",)
    finally:
        engine.close()


def test_a_dead_audio_process_is_restarted_with_its_sources():
    engine = PlaybackEngine(use_device=False, isolated=True)
    try:
        engine.set_sources({"original": sine(440, 10.0), "v1": sine(1000, 10.0)})
        engine.select("v1")
        engine.seek(2.0)
        time.sleep(0.2)
        engine.output._proc.kill()  # what a crash in the audio process looks like
        engine.output._proc.join(5)
        note = engine.check_health(time.monotonic())
        assert note and "restarted" in note
        engine.select("v1")
        engine.play()
        time.sleep(0.3)
        assert engine.playing and engine.audible == "v1" and 2.1 < engine.position < 2.6
        shared = [a.filename for a in (*engine.mixer.sources.data, engine.mixer.sources.gains)]
    finally:
        engine.close()
    del engine
    gc.collect()
    assert not [f for f in shared if os.path.exists(f)]  # no shared memory left behind


@pytest.mark.parametrize("isolated", [True, False], ids=["audio-process", "in-process"])
def test_a_device_that_keeps_underrunning_gets_a_larger_buffer(pulse_sink, isolated):
    engine = PlaybackEngine(isolated=isolated)
    try:
        assert engine.output_kind == "device"
        engine.set_sources({"original": sine(440, 20.0)})
        engine.play()
        time.sleep(0.3)

        def underrun(n: int) -> str | None:  # what a starved device reports, then a check
            if not isolated:
                # A loaded machine makes the real device underrun too: those are not the test's.
                engine._seen_underruns = engine.output.underruns
                engine.output.underruns += n
                return engine.check_health(now)
            # The audio process republishes its own count on every callback (in a burst right
            # after a reopen), and may do so between our write and the check's read: then the
            # check saw no new underruns. Inject again until the check saw ours.
            for _ in range(50):
                before = engine._seen_underruns
                engine.output._state[8] = before + n  # the audio process's published count
                note = engine.check_health(now)
                if note is not None or engine._seen_underruns == before + n:
                    return note
                time.sleep(0.02)
            raise AssertionError("the audio process kept overwriting the injected underruns")

        now = time.monotonic()
        assert underrun(1) is None  # one underrun is not a pattern
        latencies = []
        for _ in range(3):
            note = underrun(4)
            latencies.append(engine.output.latency)
            if note is None:
                break
            assert "raised to" in note
        assert latencies[0] >= 0.04 and latencies[1] >= 0.08  # 50 ms, then 100 ms asked
        assert len(latencies) == 3 and latencies[2] == latencies[1]  # and no further
        before = engine.position
        time.sleep(0.3)
        assert engine.playing and engine.position > before + 0.2  # still playing, same song
    finally:
        engine.close()


def test_underruns_while_nothing_plays_do_not_raise_the_buffer(pulse_sink):
    """An idle stream that misses blocks of silence (a busy machine, a waking sink) says
    nothing: "could not keep up" was shown while nothing played. Once it plays, they count."""
    engine = PlaybackEngine(isolated=False)
    try:
        assert engine.output_kind == "device", engine.unavailable_reason
        engine.set_sources({"original": sine(440, 20.0)})
        time.sleep(0.2)
        latency = engine.output.latency
        now = time.monotonic()
        assert not engine.playing
        for _ in range(3):
            engine.output.underruns += 4
            assert engine.check_health(now) is None
        assert engine.output.latency == latency and engine.underruns >= 12
        engine.play()
        time.sleep(0.2)
        engine.output.underruns += 4
        note = engine.check_health(now)
        assert note is not None and "raised to" in note
    finally:
        engine.close()


def test_the_player_lists_the_output_devices_and_reopens_on_the_chosen_one(pulse_sink, qtbot):
    """The device list comes from a worker; choosing one reopens the output on it (in the
    audio process), carrying on with the same sources, playhead and volume."""
    from inpaint_studio.services.player import Player
    from inpaint_studio.services.worker import WorkerPool

    pool = WorkerPool()
    player = Player(pool, open_later=True)
    try:
        with qtbot.waitSignal(player.output_changed, timeout=60000):
            player.open_output()
        assert player.available, player.unavailable_reason
        with qtbot.waitSignal(player.devices_listed, timeout=30000) as listed:
            player.list_devices()
        names = listed.args[0]
        assert names and all(isinstance(n, str) for n in names)
        chosen = "pulse" if "pulse" in names else names[-1]
        with qtbot.waitSignal(player.sources_changed, timeout=20000):
            player.set_sources({"original": sine(440, 20.0)})
        player.set_volume(0.5)
        player.seek(3.0)
        first = player.engine
        with qtbot.waitSignal(player.output_changed, timeout=60000):
            player.set_device(chosen)
        assert player.engine is not first and player.device == chosen
        assert player.available and player.engine._device == chosen
        assert player.volume == 0.5
        qtbot.waitUntil(lambda: player.names == ("original",)
                        and abs(player.position - 3.0) < 0.01, timeout=20000)
        assert player.set_device(chosen) is None  # the same device again: nothing to do
    finally:
        player.close()
        pool.cancel_all()
        pool.wait_all(10000)
