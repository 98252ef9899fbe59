"""Helpers of the real-output playback tests: a PulseAudio daemon and null sink, a recorder on the
sink's monitor that timestamps what arrives, and a tone detector. Used by conftest.py, the tests
and benchmarks/bench_playback.py."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

RATE = 44100


def _pactl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10)


@dataclass
class PulseSink:
    name: str
    module: str
    keep_alive: subprocess.Popen[bytes]
    started_daemon: bool

    @property
    def monitor(self) -> str:
        return self.name + ".monitor"

    def close(self) -> None:
        """Stop the keep-alive, unload the sink, and stop the daemon if we started it."""
        self.keep_alive.terminate()
        self.keep_alive.wait(timeout=5)
        _pactl("unload-module", self.module)
        if self.started_daemon:
            subprocess.run(["pulseaudio", "-k"], capture_output=True, timeout=10)
            for _ in range(50):  # gone before its runtime folder may be removed
                if _pactl("info").returncode != 0:
                    break
                time.sleep(0.1)


def ensure_daemon() -> bool:
    """True if this call started the daemon. Raises if none can be reached or started.

    The daemon is the one of this user's runtime folder (`XDG_RUNTIME_DIR`; the tests give each
    session its own, see tests/conftest.py). One started here loads no default script, only
    the native protocol: the null sinks are loaded by `open_sink`, and no sound card is
    touched."""
    if shutil.which("pactl") is None or shutil.which("pulseaudio") is None:
        raise RuntimeError("pulseaudio and pulseaudio-utils are needed for the playback tests")
    if _pactl("info").returncode == 0:
        return False
    subprocess.run(["pulseaudio", "-D", "-n", "--load=module-native-protocol-unix",
                    "--exit-idle-time=-1", "--disallow-exit"],
                   capture_output=True, timeout=20)
    for _ in range(100):
        if _pactl("info").returncode == 0:
            _rescan_portaudio()
            return True
        time.sleep(0.1)
    raise RuntimeError("could not start a PulseAudio daemon (pulseaudio -D)")


def _rescan_portaudio() -> None:
    """PortAudio lists the devices once, when it is initialised: if anything in this process
    (e.g. `doctor`'s audio check) initialised it before the daemon ran, it would go on seeing no
    output device. Initialise it again so that it finds the daemon's."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        sd._terminate()
        sd._initialize()


def open_sink(name: str) -> PulseSink:
    """A fresh null sink `name` at 44.1 kHz stereo, kept awake by a silent pacat stream."""
    started = ensure_daemon()
    loaded = _pactl("load-module", "module-null-sink", f"sink_name={name}",
                    f"rate={RATE}", "channels=2")
    if loaded.returncode != 0:
        raise RuntimeError(f"could not load a null sink: {loaded.stderr.strip()}")
    keep = subprocess.Popen(
        ["pacat", "--playback", "--raw", "--latency-msec=10", "-d", name, "/dev/zero"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    sink = PulseSink(name, loaded.stdout.strip(), keep, started)
    try:
        wait_until_real_time(name)
    except BaseException:
        sink.close()
        raise
    return sink


@contextlib.contextmanager
def routed_sink(name: str) -> Iterator[PulseSink]:
    """`open_sink(name)`, with new streams pointed at it through `PULSE_SINK` while inside;
    the variable is restored and the sink unloaded on the way out."""
    sink = open_sink(name)
    old = os.environ.get("PULSE_SINK")
    os.environ["PULSE_SINK"] = sink.name
    try:
        yield sink
    finally:
        if old is None:
            os.environ.pop("PULSE_SINK", None)
        else:
            os.environ["PULSE_SINK"] = old
        sink.close()


def wait_until_real_time(name: str, timeout: float = 10.0) -> float:
    """Block until a PortAudio stream into sink `name` is fed at the real-time rate; return the
    seconds that took. A freshly loaded null sink stalls new streams for a second or two, which
    would show up as a slow first test rather than as what it is."""
    import sounddevice as sd

    frames = [0]

    def callback(outdata, n, time_info, status) -> None:  # noqa: ANN001 - PortAudio's signature
        outdata.fill(0.0)
        frames[0] += n

    old = os.environ.get("PULSE_SINK")
    os.environ["PULSE_SINK"] = name
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < timeout:
            with sd.OutputStream(samplerate=RATE, channels=2, dtype="float32", blocksize=256,
                                 latency=0.02, callback=callback):
                time.sleep(0.05)
                start, t_start = frames[0], time.monotonic()
                time.sleep(0.25)
                rate = (frames[0] - start) / (time.monotonic() - t_start)
            if rate > 0.9 * RATE:
                return time.monotonic() - t0
        raise RuntimeError(f"the null sink {name} never ran in real time")
    finally:
        if old is None:
            os.environ.pop("PULSE_SINK", None)
        else:
            os.environ["PULSE_SINK"] = old


@dataclass
class Recording:
    """Frames recorded from a monitor, with the monotonic arrival time of each chunk."""

    process: subprocess.Popen[bytes]
    chunks: list[bytes] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    thread: threading.Thread | None = None

    def _read(self) -> None:
        out = self.process.stdout
        assert out is not None
        while True:
            data = out.read1(4096)
            if not data:
                break
            self.chunks.append(data)
            self.arrivals.append(time.monotonic())

    def stop(self) -> np.ndarray:
        """Stop recording; the frames as (n, 2) float32."""
        self.process.terminate()
        self.process.wait(timeout=5)
        if self.thread is not None:
            self.thread.join(timeout=5)
        raw = b"".join(self.chunks)
        return np.frombuffer(raw[: len(raw) // 8 * 8], dtype="<f4").reshape(-1, 2)

    def arrival_of(self, frame: int) -> float:
        """Monotonic time the chunk holding `frame` arrived (an upper bound on when it was
        played into the sink: parec's own buffering is included)."""
        ends = np.cumsum([len(c) for c in self.chunks]) // 8
        i = int(np.searchsorted(ends, frame, side="right"))
        return self.arrivals[min(i, len(self.arrivals) - 1)]


def record(monitor: str) -> Recording:
    proc = subprocess.Popen(
        ["parec", "-d", monitor, "--raw", "--format=float32le", f"--rate={RATE}",
         "--channels=2", "--latency-msec=5"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    rec = Recording(proc)
    rec.thread = threading.Thread(target=rec._read, daemon=True)
    rec.thread.start()
    return rec


def tone_level(x: np.ndarray, freq: float, rate: int = RATE, window: int = 441) -> np.ndarray:
    """Amplitude of the `freq` component of `x` over a sliding `window` (complex demodulation)."""
    z = x * np.exp(-2j * np.pi * freq * np.arange(x.size) / rate)
    return 2 * np.abs(np.convolve(z, np.ones(window) / window, mode="same"))
