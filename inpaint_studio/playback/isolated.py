"""The mixer and its output in a process of their own, so the GUI cannot stall the audio.

A Python audio callback needs the interpreter lock, and a GUI thread that paints waveforms holds
it for 10–50 ms at a time: with a 20 ms device buffer that is heard as dropouts. In a separate
process (spawned: no Qt, no fork of a threaded parent) the callback has the interpreter to itself.

Sources are prepared straight into memory-mapped files in /dev/shm (`shared_array`), so the audio
process maps them instead of receiving copies; it unlinks each file once mapped, and the memory
goes away when both sides let go. Commands go down a pipe to a command thread in the audio
process, which queues them on the mixer exactly as in-process callers do. The audio thread
publishes its state (playhead, audible source, loop, underruns, …) into a small shared array
that `MixerProxy` reads: the same attributes as `Mixer`, so `PlaybackEngine` does not care
where its mixer lives."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import weakref
from typing import Any

import numpy as np

from inpaint_studio.playback.mixer import DEFAULT_CROSSFADE_S, Mixer, MixerControls
from inpaint_studio.playback.sources import SourceSet

log = logging.getLogger(__name__)

_FIELDS = ("position", "playing", "audible", "loop_a", "loop_b", "frames_rendered", "ended",
           "switches", "underruns", "set_id", "errors")
_I = {name: i for i, name in enumerate(_FIELDS)}
_START_TIMEOUT_S = 20.0


def _shared_dir(nbytes: int) -> str:
    """/dev/shm when it has room to spare (containers often give it only 64 MB, and a full
    tmpfs kills the process that writes to a mapping), else the temporary folder."""
    shm = "/dev/shm"
    try:
        st = os.statvfs(shm)
        if os.access(shm, os.W_OK) and st.f_bavail * st.f_frsize > 2 * nbytes + (64 << 20):
            return shm
    except OSError:
        pass
    return tempfile.gettempdir()


def shared_array(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A zero-filled array in a memory-mapped file another process can map by its `filename`."""
    count = int(np.prod(shape)) if shape else 1
    if count == 0:
        shape, count = (1,) * max(1, len(shape)), 1
    fd, path = tempfile.mkstemp(prefix="inpaint-studio-audio-", suffix=".f",
                                dir=_shared_dir(count * np.dtype(dtype).itemsize))
    os.close(fd)
    array = np.memmap(path, dtype=dtype, mode="w+", shape=shape)
    # The audio process unlinks the file once it has mapped it; if it never gets to (the set
    # was superseded, the process died), the file goes when this side lets go of the array.
    weakref.finalize(array, _unlink, path)
    return array


def _unlink(path: str | None) -> None:
    if path:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def ensure_shared(sources: SourceSet) -> SourceSet:
    """`sources` itself when its arrays are shared already, else a shared copy."""
    arrays = (*sources.data, sources.gains)
    if all(isinstance(a, np.memmap) and a.filename and os.path.exists(a.filename)
           for a in arrays):
        return sources

    def copy(a: np.ndarray) -> np.ndarray:
        out = shared_array(a.shape, a.dtype.type)
        out[...] = a
        return out

    return SourceSet.from_arrays(sources.names, tuple(copy(a) for a in sources.data),
                                 copy(sources.gains), sources.frames, sources.sample_rate)


# -- the audio process ------------------------------------------------------------------------
class _PublishingMixer(Mixer):
    """A mixer that writes its published state into the shared state array after each block."""

    state: np.ndarray
    output: Any = None

    def render(self, out: np.ndarray) -> None:
        super().render(out)
        st = self.state
        st[0] = self.position
        st[1] = 1.0 if self.playing else 0.0
        st[2] = self._cur
        loop = self.loop
        st[3] = loop[0] if loop is not None else -1.0
        st[4] = loop[1] if loop is not None else -1.0
        st[5] = self.frames_rendered
        st[6] = self.ended
        st[7] = self.switches
        output = self.output
        st[8] = output.underruns if output is not None else 0.0
        st[9] = getattr(self._set, "set_id", -1.0) if self._set is not None else -1.0


def _open(mixer: Mixer, options: dict[str, Any]) -> Any:
    from inpaint_studio.playback.output import open_output

    out = open_output(mixer, **options)
    return out


def _describe(out: Any) -> tuple[str, str, str | None, float]:
    return (out.kind, out.description, getattr(out, "reason", None),
            float(getattr(out, "latency", 0.0)))


def _child_main(conn: Any, state_path: str, rate: int, channels: int, crossfade_s: float,
                options: dict[str, Any]) -> None:
    """Entry point of the audio process: open the output, then apply commands until told to
    close (or until the parent goes away)."""
    state = np.memmap(state_path, dtype=np.float64, mode="r+", shape=(len(_FIELDS),))
    _unlink(state_path)  # both sides have it mapped; the file is no longer needed

    def new_mixer(r: int) -> _PublishingMixer:
        m = _PublishingMixer(r, channels, crossfade_s)
        m.state = state
        return m

    mixer = new_mixer(rate)
    out = _open(mixer, options)
    mixer.output = out
    conn.send(("opened", *_describe(out)))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break  # the app went away: stop playing
        kind = msg[0]
        if kind == "close":
            break
        try:
            if kind == "sources":
                _, set_id, names, paths, shapes, gains_path, frames, set_rate = msg
                data = tuple(np.memmap(p, dtype=np.float32, mode="r", shape=s)
                             for p, s in zip(paths, shapes, strict=True))
                gains = np.memmap(gains_path, dtype=np.float64, mode="r+", shape=(len(names),))
                for p in (*paths, gains_path):
                    _unlink(p)  # mapped now: the memory lives as long as a mapping does
                loaded = SourceSet.from_arrays(names, data, gains, frames, set_rate)
                loaded.set_id = set_id  # type: ignore[attr-defined]
                mixer.set_sources(loaded)
            elif kind == "reopen":
                _, new_rate, latency = msg
                out.close()
                options["latency"] = latency
                if new_rate != mixer.sample_rate:
                    mixer = new_mixer(new_rate)
                out = _open(mixer, options)
                mixer.output = out
                conn.send(("opened", *_describe(out)))
            else:
                mixer.send_command(msg)  # a command the proxy's control methods prepared
        except Exception:  # noqa: BLE001 - a bad command must not end playback
            log.exception("audio process: command %s failed", kind)
            state[_I["errors"]] += 1
    out.close()


# -- the app's side ---------------------------------------------------------------------------
class RemoteOutput:
    """The audio process seen as an output: what it opened, its underruns, and `close`."""

    def __init__(self, proc: Any, conn: Any, state: np.ndarray) -> None:
        self._proc = proc
        self._conn = conn
        self._state = state
        self._lock = threading.Lock()
        self.kind = "null"
        self.description = ""
        self.reason: str | None = None
        self.latency = 0.0
        self._closed = False

    def _receive_opened(self, timeout: float) -> None:
        if not self._conn.poll(timeout):
            raise RuntimeError("the audio process did not answer")
        msg = self._conn.recv()
        _, self.kind, self.description, self.reason, self.latency = msg

    @property
    def underruns(self) -> int:
        return int(self._state[_I["underruns"]])

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def send(self, msg: tuple[Any, ...]) -> None:
        with self._lock:
            if not self._closed:
                try:
                    self._conn.send(msg)
                except (BrokenPipeError, OSError):
                    log.warning("the audio process is gone; %s not sent", msg[0])

    def reopen(self, rate: int, latency: float | str) -> None:
        """Reopen the device in the audio process (new buffer size or rate), keeping the mixer
        when the rate is unchanged."""
        self.send(("reopen", rate, latency))
        self._receive_opened(_START_TIMEOUT_S)
        self._state[_I["underruns"]] = 0.0  # the new stream counts from zero

    def close(self) -> None:
        if self._closed:
            return
        self.send(("close",))
        self._closed = True
        self._proc.join(3.0)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(2.0)
        self._conn.close()
        _unlink(getattr(self._state, "filename", None))


class MixerProxy(MixerControls):
    """The `Mixer` interface over the audio process: control methods send commands; the
    published attributes are read from the shared state."""

    def __init__(self, output: RemoteOutput, state: np.ndarray, sample_rate: int,
                 channels: int, crossfade_s: float) -> None:
        self._out = output
        self._state = state
        self.sample_rate = sample_rate
        self.channels = channels
        self.crossfade_frames = Mixer(sample_rate, channels, crossfade_s).crossfade_frames
        self._set: SourceSet | None = None
        self._sets: dict[int, tuple[str, ...]] = {}
        self._next_id = 0

    # control (any thread, like Mixer)
    def set_sources(self, sources: SourceSet) -> None:
        self.check_layout(sources)
        shared = ensure_shared(sources)
        self._next_id += 1
        self._sets = {k: v for k, v in self._sets.items() if k >= self._next_id - 4}
        self._sets[self._next_id] = shared.names
        self._set = shared
        self._out.send(("sources", self._next_id, shared.names,
                        [a.filename for a in shared.data], [a.shape for a in shared.data],
                        shared.gains.filename, shared.frames, shared.sample_rate))

    def send_command(self, cmd: tuple[Any, ...]) -> None:
        """Send a prepared command (from the control methods) to the mixer in the audio
        process, which queues it as it is."""
        self._out.send(cmd)

    def collect(self) -> None:
        """Nothing to do here: the audio process frees what it let go of itself."""

    # published state
    def _get(self, name: str) -> float:
        return float(self._state[_I[name]])

    @property
    def sources(self) -> SourceSet | None:
        return self._set

    @property
    def position(self) -> int:
        return int(self._get("position"))

    @property
    def playing(self) -> bool:
        return self._get("playing") > 0.5

    @property
    def audible(self) -> str | None:
        names = self._sets.get(int(self._get("set_id")))
        idx = int(self._get("audible"))
        return names[idx] if names is not None and 0 <= idx < len(names) else None

    @property
    def loop(self) -> tuple[int, int] | None:
        a = self._get("loop_a")
        return None if a < 0 else (int(a), int(self._get("loop_b")))

    @property
    def frames_rendered(self) -> int:
        return int(self._get("frames_rendered"))

    @property
    def ended(self) -> int:
        return int(self._get("ended"))

    @property
    def switches(self) -> int:
        return int(self._get("switches"))


def start_isolated(sample_rate: int, channels: int, options: dict[str, Any],
                   crossfade_s: float = DEFAULT_CROSSFADE_S) -> tuple[MixerProxy, RemoteOutput]:
    """Spawn the audio process with its mixer and output (device or null, as `open_output`
    decides there); raises RuntimeError if it does not come up."""
    import multiprocessing  # here, not at the top: the editor draws its window before this

    ctx = multiprocessing.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    state = shared_array((len(_FIELDS),), np.float64)
    state[:] = 0.0
    state[_I["set_id"]] = -1.0
    proc = ctx.Process(target=_child_main, name="inpaint-studio-audio", daemon=True,
                       args=(child_conn, state.filename, sample_rate, channels, crossfade_s,
                             dict(options)))
    proc.start()
    child_conn.close()
    output = RemoteOutput(proc, parent_conn, state)
    try:
        output._receive_opened(_START_TIMEOUT_S)
    except BaseException:
        output.close()
        raise
    log.info("audio process started (pid %s): %s output", proc.pid, output.kind)
    return MixerProxy(output, state, sample_rate, channels, crossfade_s), output
