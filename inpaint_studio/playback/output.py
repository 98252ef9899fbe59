"""Output streams that pull blocks from a `Mixer`: the sound card via sounddevice/PortAudio, or a
null output that keeps the clock going where there is no device.

`open_output` tries the real device and falls back to the null output with a reason the app
can show ("no audio device: …"); the rest of the app works the same on either."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import numpy as np

from inpaint_studio.playback.mixer import Mixer

log = logging.getLogger(__name__)

DEFAULT_BLOCK = 256  # 5.8 ms at 44.1 kHz: a switch reaches the device within a few blocks
DEFAULT_LATENCY_S = 0.02


class DeviceOutput:
    """A PortAudio output stream whose callback only calls `mixer.render(outdata)`."""

    kind = "device"

    def __init__(self, mixer: Mixer, *, device: Any = None, blocksize: int = DEFAULT_BLOCK,
                 latency: float | str = DEFAULT_LATENCY_S) -> None:
        import sounddevice as sd  # imported here: a missing PortAudio must not break imports

        self.mixer = mixer
        self.underruns = 0
        self.errors = 0
        self._prioritised = False
        self._stream = sd.OutputStream(
            samplerate=mixer.sample_rate, channels=mixer.channels, dtype="float32",
            blocksize=blocksize, latency=latency, device=device, callback=self._callback,
        )
        info = sd.query_devices(self._stream.device)
        self.description = f"{info['name']} ({self._stream.latency * 1000:.0f} ms)"

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if not self._prioritised:
            self._prioritised = True
            _raise_thread_priority()
        if status.output_underflow:
            self.underruns += 1
        try:
            self.mixer.render(outdata)
        except Exception:  # noqa: BLE001 - an exception would stop the stream for good
            self.errors += 1
            outdata.fill(0.0)

    @property
    def latency(self) -> float:
        return float(self._stream.latency)

    @property
    def active(self) -> bool:
        return bool(self._stream.active)

    def start(self) -> None:
        self._stream.start()

    def close(self) -> None:
        try:
            self._stream.abort()
        finally:
            self._stream.close()


def _raise_thread_priority() -> None:
    """Best effort, on the audio thread itself: real-time scheduling where allowed (root, or an
    rtprio limit), else a lower nice value; on a busy machine an ordinary thread misses the
    device's deadlines. Silently keeps the default where neither is permitted."""
    targets = [threading.get_native_id()] + _sound_server_threads()
    for tid in targets:
        try:
            os.sched_setscheduler(tid, os.SCHED_FIFO, os.sched_param(10))
            continue
        except (AttributeError, OSError):
            pass
        try:
            os.setpriority(os.PRIO_PROCESS, tid, -10)
        except (AttributeError, OSError):
            pass


def _sound_server_threads() -> list[int]:
    """Threads of this process that libpulse runs for the ALSA pulse plugin ("threaded-ml"):
    they carry our audio to the sound server, so they need the same priority as the callback."""
    found = []
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/comm", encoding="ascii", errors="replace") as f:
                if f.read().strip() == "threaded-ml":
                    found.append(int(tid))
    except OSError:
        pass
    return found


class NullOutput:
    """Renders blocks into a scratch buffer at real-time pace on its own thread, so the playhead
    moves, loops wrap and switches happen exactly as with a device; nothing is heard."""

    kind = "null"

    def __init__(self, mixer: Mixer, reason: str = "", blocksize: int = 1024) -> None:
        self.mixer = mixer
        self.description = "no audio output" + (f": {reason}" if reason else "")
        self.reason = reason
        self.underruns = 0
        self.latency = 0.0
        self._buffer = np.zeros((blocksize, mixer.channels), dtype=np.float32)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        block_s = self._buffer.shape[0] / self.mixer.sample_rate
        due = time.monotonic()
        while not self._stop.is_set():
            self.mixer.render(self._buffer)
            due += block_s
            delay = due - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            elif delay < -0.5:  # fell far behind (suspended machine): do not race to catch up
                due = time.monotonic()

    @property
    def active(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="null-audio", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


def open_output(mixer: Mixer, *, device: Any = None, blocksize: int = DEFAULT_BLOCK,
                latency: float | str = DEFAULT_LATENCY_S,
                use_device: bool = True) -> DeviceOutput | NullOutput:
    """A started output for `mixer`: the device if one opens, else a started `NullOutput`
    whose `reason` says why (PortAudio missing, no device, device error)."""
    reason = "playback turned off"
    if use_device:
        try:
            out: DeviceOutput | NullOutput = DeviceOutput(
                mixer, device=device, blocksize=blocksize, latency=latency
            )
            out.start()
            return out
        except (OSError, ImportError) as exc:  # sounddevice: OSError when PortAudio is missing
            reason = f"the PortAudio library could not be loaded ({exc})"
        except Exception as exc:  # noqa: BLE001 - sd.PortAudioError and device-specific errors
            reason = f"the audio device could not be opened ({exc})"
        log.warning("audio output unavailable: %s", reason)
    out = NullOutput(mixer, reason)
    out.start()
    return out
