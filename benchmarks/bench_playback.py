"""Playback: how fast a switch of the audible version is heard, and whether playback holds up.

Everything goes through the real output path (PortAudio → ALSA pulse plugin → a PulseAudio null
sink) and is measured at the sink's monitor with `parec` (helpers shared with
tests/playback/playback_pulse.py):

- switch latency: time from `select()` to the new source at the monitor, from two
  distinguishable tones (440 Hz / 1000 Hz); includes parec's own buffering (≤ 5 ms), so it is an
  upper bound. The floor is the output latency PortAudio reports for the stream.
- 60 s of playback with a switch every 0.5 s while a pyqtgraph waveform (offscreen) redraws at
  30 Hz, with the app's health check (a device that keeps underrunning is reopened with a larger
  buffer, see PlaybackEngine.check_health): PortAudio underruns, gaps found in the recording,
  and whether the frames the sink got match the frames the playhead advanced by."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from common import figure

from inpaint_studio.core.audio import Audio
from inpaint_studio.playback.engine import PlaybackEngine
from tests.playback.playback_pulse import RATE, record, routed_sink, tone_level

SWITCHES = 24
LONG_RUN_S = float(os.environ.get("BENCH_PLAYBACK_SECONDS", "60"))


def _tones(seconds: float) -> dict[str, Audio]:
    t = np.arange(int(seconds * RATE)) / RATE
    out = {}
    for name, freq in (("original", 440.0), ("v1", 1000.0)):
        row = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        out[name] = Audio(np.stack([row, row]), RATE)
    return out


def _switch_latencies(monitor: str) -> tuple[list[float], float, int]:
    engine = PlaybackEngine()
    if engine.output_kind != "device":
        raise RuntimeError(f"no device output: {engine.unavailable_reason}")
    engine.set_sources(_tones(30.0))
    rec = record(monitor)
    time.sleep(0.3)
    engine.play()
    time.sleep(0.5)
    calls: list[tuple[float, str]] = []
    for i in range(SWITCHES):
        name = "v1" if i % 2 == 0 else "original"
        calls.append((time.monotonic(), name))
        engine.select(name)
        time.sleep(0.25 + 0.037 * (i % 5))  # do not sit on a multiple of the block period
    engine.pause()
    time.sleep(0.2)
    stream_latency = engine.output.latency
    underruns = engine.underruns
    engine.close()
    x = rec.stop()[:, 0]
    levels = {"original": tone_level(x, 440.0, window=220), "v1": tone_level(x, 1000.0, window=220)}
    latencies = []
    search_from = 0
    for t_call, name in calls:
        # the first recorded frame after the call's chunk where the new tone dominates
        start = max(search_from, _frame_arrived_before(rec, t_call))
        new, old = levels[name], levels["original" if name == "v1" else "v1"]
        hit = np.flatnonzero((new[start:] > 0.15) & (new[start:] > old[start:]))
        if hit.size == 0:
            continue
        frame = start + int(hit[0])
        latencies.append(rec.arrival_of(frame) - t_call)
        search_from = frame + int(0.1 * RATE)
    return latencies, stream_latency, underruns


def _frame_arrived_before(rec: Any, t: float) -> int:
    ends = np.cumsum([len(c) for c in rec.chunks]) // 8
    i = int(np.searchsorted(np.asarray(rec.arrivals), t)) - 1
    return int(ends[i]) if i >= 0 else 0


def _long_run(monitor: str, seconds: float) -> dict[str, float]:
    import pyqtgraph as pg
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    engine = PlaybackEngine()
    sources = _tones(seconds + 10)
    engine.set_sources(sources)
    # A waveform view redrawn at 30 Hz with the playhead, from a min/max summary (never raw).
    plot = pg.PlotWidget()
    plot.resize(1200, 300)
    cols = 4000
    env = sources["original"].samples[0, : cols * (sources["original"].frames // cols)]
    env = env.reshape(cols, -1)
    xs = np.repeat(np.linspace(0, seconds + 10, cols), 2)
    ys = np.column_stack([env.min(1), env.max(1)]).ravel()
    plot.plot(xs, ys, pen="c")
    head = pg.InfiniteLine(0.0)
    plot.addItem(head)
    plot.show()
    redraws = [0]

    def redraw() -> None:
        p = engine.position
        head.setValue(p)
        plot.setXRange(max(0.0, p - 5), p + 5, padding=0)
        plot.grab()  # force a full paint, as a visible window would
        redraws[0] += 1

    timer = QTimer()
    timer.timeout.connect(redraw)
    timer.start(33)
    rec = record(monitor)
    time.sleep(0.3)
    engine.play()
    time.sleep(0.3)
    settled = engine.underruns
    t0 = time.monotonic()
    names = ("original", "v1")
    i = 0
    next_switch = t0 + 0.5
    notes: list[str] = []
    while time.monotonic() - t0 < seconds:
        app.processEvents()
        note = engine.check_health(time.monotonic())  # as the app's player does at 30 Hz
        if note:
            notes.append(note)
        if time.monotonic() >= next_switch:
            i += 1
            engine.select(names[i % 2])
            next_switch += 0.5
        time.sleep(0.005)
    underruns = engine.underruns - settled
    final_latency = float(getattr(engine.output, "latency", 0.0))
    engine.pause()
    time.sleep(0.2)
    played = engine.mixer.position  # frames since frame 0, including the pause's fade-out
    timer.stop()
    engine.close()
    x = rec.stop()[:, 0]
    level = tone_level(x, 440.0, window=441) + tone_level(x, 1000.0, window=441)
    heard = np.flatnonzero(np.abs(x) > 0.05)
    body = level[heard[0] + RATE : heard[-1] - RATE]
    gaps = int(np.count_nonzero(np.diff((body < 0.2).astype(np.int8)) == 1))
    gaps_per_min = gaps * 60.0 / max(body.size / RATE, 1.0)
    return {
        "underruns": int(underruns),
        "gaps": gaps,
        "gaps_per_min": gaps_per_min,
        "switches": i,
        "redraw_hz": redraws[0] / seconds,
        # what the playhead says was played vs what the sink got, first to last audible frame
        "drift": int(abs((heard[-1] - heard[0]) - played)),
        "tolerance": engine.mixer.crossfade_frames,
        "escalations": len(notes),
        "final_latency_ms": final_latency * 1000,
    }


def _count_gaps(x: np.ndarray, freq: float = 440.0) -> tuple[int, float]:
    """Dropouts of a steady tone in a recording, and the seconds it was heard."""
    level = tone_level(x, freq, window=441)
    heard = np.flatnonzero(np.abs(x) > 0.05)
    body = level[heard[0] + RATE : heard[-1] - RATE]
    return int(np.count_nonzero(np.diff((body < 0.2).astype(np.int8)) == 1)), body.size / RATE


def _native_client_gaps(sink: str, monitor: str, seconds: float, latency_ms: int) -> float:
    """The floor: dropouts per minute of PulseAudio's own C client (pacat) playing a tone with
    the same buffer on this machine now. A busy machine starves any client; this says how
    much of what we measure is the machine rather than our engine."""
    t = np.arange(int(seconds * RATE)) / RATE
    x = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype("<f4")
    rec = record(monitor)
    time.sleep(0.3)
    proc = subprocess.Popen(
        ["pacat", "--playback", "--raw", "--format=float32le", f"--rate={RATE}",
         "--channels=2", f"--latency-msec={latency_ms}", "-d", sink],
        stdin=subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(np.stack([x, x], 1).tobytes())
    proc.stdin.close()
    proc.wait()
    time.sleep(0.3)
    gaps, heard_s = _count_gaps(rec.stop()[:, 0])
    return gaps * 60.0 / max(heard_s, 1.0)


def run() -> Iterator[dict[str, Any]]:
    with routed_sink(f"inpaint_studio_bench_{os.getpid()}") as sink:
        latencies, floor, _ = _switch_latencies(sink.monitor)
        ms = np.asarray(latencies) * 1000
        median = float(np.median(ms))
        yield figure("playback.switch_latency_median", median, "ms", "<= 40", bool(median <= 40))
        yield figure("playback.switch_latency_max", float(ms.max()), "ms", "info", None)
        yield figure("playback.switch_latency_vs_output_latency", median / (floor * 1000),
                     "ratio", "info (floor: PortAudio output latency "
                     f"{floor * 1000:.1f} ms)", None)
        yield figure("playback.switches_detected", len(latencies) / SWITCHES, "ratio", "== 1",
                     len(latencies) == SWITCHES)
        long = _long_run(sink.monitor, LONG_RUN_S)
        yield figure("playback.underruns_60s_switch_redraw", long["underruns"], "count", "== 0",
                     bool(long["underruns"] == 0))
        yield figure("playback.gaps_at_sink_60s", long["gaps"], "count", "== 0",
                     bool(long["gaps"] == 0))
        floor = _native_client_gaps(sink.name, sink.monitor, 20.0, 23)
        yield figure("playback.gaps_per_min_vs_pacat", long["gaps_per_min"] / max(floor, 1.0),
                     "ratio", f"<= 1 (floor: pacat, PulseAudio's C client, {floor:.1f} "
                     "dropouts/min at 23 ms on this machine now)",
                     bool(long["gaps_per_min"] <= max(floor, 1.0)))
        yield figure("playback.playhead_vs_sink", long["drift"], "frames",
                     f"<= {long['tolerance']} (one crossfade: the fades' quiet ends)",
                     bool(long["drift"] <= long["tolerance"]))
        yield figure("playback.output_latency_after_60s", long["final_latency_ms"], "ms",
                     f"info ({long['escalations']} escalation(s) after repeated underruns)",
                     None)
        yield figure("playback.redraw_rate", long["redraw_hz"], "Hz", ">= 25",
                     bool(long["redraw_hz"] >= 25))
