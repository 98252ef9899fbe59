"""The player service: the headless playback engine seen from the GUI thread as Qt signals.

`Player` polls the engine ~30 times a second (a QTimer on the GUI thread; the audio thread is
never waited on) and emits what changed: the playhead, the transport state, which source is
audible, and messages when output is off or had to be reconfigured. Preparing sources copies
audio, so `set_sources` does it on a worker and swaps them in when ready; until then the old
sources keep playing. Call every method from the GUI thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from inpaint_studio.core.audio import Audio
from inpaint_studio.playback.engine import PlaybackEngine
from inpaint_studio.services.worker import Worker, WorkerPool

log = logging.getLogger(__name__)

TICK_MS = 33  # ~30 Hz playhead updates
METER_WINDOW_S = 0.05  # the level meter measures the last 50 ms before the playhead


@dataclass(frozen=True)
class Levels:
    """What the output plays now, per channel (left, right), linear full scale = 1.0: the
    largest |sample| and the RMS of the last `METER_WINDOW_S`, after every gain."""

    peak: tuple[float, float]
    rms: tuple[float, float]


def measure_levels(audio: Audio, position_s: float, gain: float,
                   window_s: float = METER_WINDOW_S) -> Levels:
    """`Levels` of `audio` over the `window_s` before `position_s`, times `gain` (a mono song
    shows on both bars; more channels than two show their first two)."""
    end = min(audio.frames, max(0, round(position_s * audio.sample_rate)))
    start = max(0, end - max(1, round(window_s * audio.sample_rate)))
    block = audio.samples[:2, start:end]
    if block.shape[1] == 0:
        return Levels((0.0, 0.0), (0.0, 0.0))
    peak = np.max(np.abs(block), axis=1) * gain
    rms = np.sqrt(np.mean(np.square(block, dtype=np.float64), axis=1)) * gain
    if block.shape[0] == 1:
        peak, rms = np.repeat(peak, 2), np.repeat(rms, 2)
    return Levels((float(peak[0]), float(peak[1])), (float(rms[0]), float(rms[1])))


def volume_gain(percent: float) -> float:
    """The volume slider's percent (0…100) as a linear gain: squared, so the slider's travel
    follows loudness more evenly than a straight line (50 % = −12 dB, 0 % = silence)."""
    p = min(100.0, max(0.0, float(percent))) / 100.0
    return p * p


def list_output_devices(ctx: Any = None) -> list[str]:
    """The sound server's output devices, by name (a worker's function: PortAudio's query can
    take a while). Empty when PortAudio is missing."""
    try:
        import sounddevice as sd
        devices = sd.query_devices()
    except Exception:  # noqa: BLE001 - no PortAudio, no devices: the default is all there is
        log.warning("the output devices could not be listed", exc_info=True)
        return []
    names: list[str] = []
    for info in devices:
        name = str(info.get("name", ""))
        if int(info.get("max_output_channels", 0)) > 0 and name and name not in names:
            names.append(name)
    return names


def _prepare(ctx: Any, engine: PlaybackEngine, sources: dict[str, Audio]) -> Any:
    return engine.prepare(sources)


def _from_engine(name: str) -> Any:
    """A read-only property of `Player`: the engine's attribute `name`, as it is now."""
    return property(lambda self: getattr(self.engine, name))


class Player(QObject):
    """Transport, solo set (what is audible), loop, seams and gains for the GUI.

    Source names are "original", "v1", "v2" (any names work; the GUI uses these)."""

    position_changed = Signal(float)  # seconds, ~30 Hz while playing and after each seek
    state_changed = Signal(str)  # "playing" | "paused"
    audible_changed = Signal(str)  # name of the source heard now
    sources_changed = Signal(object)  # tuple of names, once new sources are in place
    loop_changed = Signal(bool)
    gains_changed = Signal(object)  # {name: dB}
    message = Signal(str)  # something the musician should know about the output (not an error)
    error = Signal(str)  # playback could not do what was asked
    _closed = False
    _carry: tuple[float, bool] | None = None  # (position, playing) to restore after open_output
    output_changed = Signal()  # the output opened later (`open_output`) is in place
    levels_changed = Signal(object)  # `Levels` ~30 Hz while playing; None once it stops
    devices_listed = Signal(object)  # list of output device names (`list_devices`)

    def __init__(self, pool: WorkerPool, *, engine: PlaybackEngine | None = None,
                 use_device: bool = True, open_later: bool = False,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        # With `open_later` a silent clock keeps time until `open_output()` (after the window
        # is drawn) has opened the device, and its audio process, in a worker.
        self.opening = engine is None and use_device and open_later
        if engine is None:
            # Without a device (e.g. --screenshot) the silent clock needs no audio process.
            device = use_device and not open_later
            engine = PlaybackEngine(use_device=device, isolated=None if device else False)
        self.engine = engine
        self._sources: dict[str, Audio] = {}  # the solo set last asked for
        self._pending: Worker | None = None
        self._last_position = -1.0
        self._last_playing: bool | None = None
        self._last_audible: str | None = None
        self._wanted_audible: str | None = None
        self._metering = False
        self.device = ""  # the output device asked for by name; "" = the sound server's default
        self._use_device = use_device
        self._opening_worker: Worker | None = None
        self._opening_device = ""
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        if use_device and not self.opening and self.engine.unavailable_reason:
            log.warning("playback off: %s", self.engine.unavailable_reason)  # (off by request
            # is no news)

    def open_output(self) -> Worker | None:
        """Open the sound device (in the audio process where it can) in a worker, then carry
        the silent clock's state over to it: region, rolls, loop, gains, playhead, the solo set
        (prepared again for the new output) and playing. `output_changed` when done."""
        if not self.opening:
            return None
        if self._opening_worker is not None:
            return self._opening_worker
        self._opening_device = self.device
        device = self.device or None
        worker = Worker(lambda ctx: PlaybackEngine(use_device=True, device=device),
                        name="open audio output")
        worker.returned.connect(self._opened)
        worker.errored.connect(self._open_failed)
        self._opening_worker = worker
        return self.pool.start(worker)

    def _open_failed(self, exc: BaseException) -> None:
        self._opening_worker = None
        self.opening = False
        log.warning("playback off: %s", exc)
        self.error.emit(f"The audio output could not be opened: {exc}")
        self.output_changed.emit()

    def _opened(self, engine: PlaybackEngine) -> None:
        self._opening_worker = None
        old = self.engine
        self.opening = False
        if self._closed:
            engine.close()
            return
        engine.set_rolls(old.pre_roll_s, old.post_roll_s)
        engine.set_region(old.region)
        engine.set_volume(old.volume)
        for name, db in old.gains_db.items():
            engine.set_gain_db(name, db)
        self.engine = engine
        playing, position = old.playing, old.position
        old.close()
        engine.set_loop_enabled(old.loop_enabled)
        if self._sources:
            # the playhead and playing go on once the solo set is in place (a mixer without
            # sources has nowhere to seek to)
            self._carry = (position, playing)
            self._wanted_audible = self._wanted_audible or old.audible
            self.set_sources(self._sources)
        else:
            engine.seek(position)
            if playing:
                engine.play()
        if engine.unavailable_reason:
            log.warning("playback off: %s", engine.unavailable_reason)
        self.output_changed.emit()
        self._tick()
        if self._opening_device != self.device:  # another device was chosen meanwhile
            self.opening = True
            self.open_output()

    def set_device(self, name: str) -> Worker | None:
        """Play on the output device called `name` ("" = the default): opens it in a worker and
        carries everything over, as `open_output` does. Without a device in use (tests,
        --screenshot) only remembers the name."""
        name = name or ""
        if name == self.device:
            return None
        self.device = name
        if not self._use_device or self.opening:
            return None  # an open under way or still to come picks the new name up
        self.opening = True
        return self.open_output()

    def list_devices(self) -> Worker:
        """List the sound server's output devices in a worker; `devices_listed` with names."""
        worker = Worker(list_output_devices, name="list audio outputs")
        worker.returned.connect(self.devices_listed.emit)
        return self.pool.start(worker)

    # -- what there is ---------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        """True when a device plays; False means a null output keeps time silently."""
        return self.engine.output_kind == "device"

    @property
    def preparing(self) -> bool:
        """True while a new solo set is being prepared (`sources_changed` follows when it is in
        place; until then the old sources play)."""
        return self._pending is not None

    # the engine's own answers, as they are now
    unavailable_reason = _from_engine("unavailable_reason")
    output_description = _from_engine("output_description")
    names = _from_engine("names")
    position = _from_engine("position")
    playing = _from_engine("playing")
    loop_enabled = _from_engine("loop_enabled")
    region = _from_engine("region")  # what the loop and the seams play around (s), or None

    @property
    def audible(self) -> str | None:
        """The source heard now (or about to be: the audio thread applies a switch within a
        block)."""
        names = self.engine.names
        return self._wanted_audible or self.engine.audible or (names[0] if names else None)

    @property
    def gains_db(self) -> dict[str, float]:
        return dict(self.engine.gains_db)

    # -- sources --------------------------------------------------------------------------------
    def set_sources(self, sources: Mapping[str, Audio]) -> Worker | None:
        """Load a new solo set, e.g. `{"original": song, "v1": aligned1, "v2": aligned2}` (on
        the original's timeline). Prepared on a worker; `sources_changed` when in place."""
        if self._pending is not None:
            self._pending.cancel()
        self._sources = dict(sources)
        if not sources:
            return None
        worker = Worker(_prepare, self.engine, dict(sources), name="prepare playback")
        self._pending = worker
        worker.returned.connect(lambda prepared, w=worker: self._loaded(w, prepared))
        worker.errored.connect(lambda exc, w=worker: self._prepare_failed(w, exc))
        return self.pool.start(worker)

    def _prepare_failed(self, worker: Worker, exc: BaseException) -> None:
        if worker is self._pending:
            self._pending = None  # not `preparing` any more: nothing is on its way
        self.error.emit(f"The audio could not be prepared for playback: {exc}")

    def _loaded(self, worker: Worker, prepared: Any) -> None:
        if worker is not self._pending:
            return  # a newer set was asked for meanwhile
        self._pending = None
        self.engine.load_sources(prepared)
        if self._wanted_audible in prepared.names:
            self.engine.select(self._wanted_audible)
        if self._carry is not None:  # the silent clock's playhead, after open_output
            position, playing = self._carry
            self._carry = None
            self.engine.seek(position)
            if playing:
                self.engine.play()
        self.sources_changed.emit(prepared.names)
        self._tick()

    # -- transport ------------------------------------------------------------------------------
    def play(self) -> None:
        self.engine.play()
        self._tick_soon()

    def pause(self) -> None:
        self.engine.pause()
        self._tick_soon()

    def toggle(self) -> None:
        """Space: play when paused, pause when playing."""
        (self.pause if self.engine.playing else self.play)()

    def stop(self, return_to: float = 0.0) -> None:
        self.engine.stop(return_to)
        self._tick_soon()

    def seek(self, seconds: float) -> None:
        self.engine.seek(max(0.0, seconds))
        self._tick_soon()

    def select(self, name: str) -> None:
        """Make `name` audible at the same playhead (remembered if its audio is still being
        prepared)."""
        self._wanted_audible = name
        self.engine.select(name)
        self._tick_soon()

    # -- loop, seams, ranges --------------------------------------------------------------------
    def set_region(self, region: tuple[float, float] | None) -> None:
        self.engine.set_region(region)

    def set_rolls(self, pre_roll_s: float, post_roll_s: float) -> None:
        self.engine.set_rolls(pre_roll_s, post_roll_s)

    def set_loop(self, enabled: bool) -> None:
        if enabled and self.engine.region is None:
            self.message.emit("Select a region first: the loop plays the region with its "
                              "pre-roll and post-roll.")
            enabled = False
        self.engine.set_loop_enabled(enabled)
        self.loop_changed.emit(self.engine.loop_enabled)
        self._tick_soon()

    def loop_span(self) -> tuple[float, float] | None:
        return self.engine.loop_span()

    def play_seam(self, side: str) -> None:
        """Play 2 s either side of the region's "left" or "right" seam, once."""
        if self.engine.region is None:
            self.message.emit("Select a region first: its seams are its start and end.")
            return
        self.engine.play_seam(side)
        self._tick_soon()

    def play_range(self, start: float, end: float) -> None:
        """Play [start, end) once (e.g. across a seam of a kept version)."""
        centre = (start + end) / 2
        self.engine.play_across(centre, max(0.0, (end - start) / 2))
        self._tick_soon()

    # -- gains ------------------------------------------------------------------------------------
    def set_gains_db(self, gains: Mapping[str, float]) -> None:
        for name, db in gains.items():
            self.engine.set_gain_db(name, db)
        self.gains_changed.emit(self.gains_db)

    def clear_gains(self) -> None:
        self.engine.clear_gains()
        self.gains_changed.emit({})

    @property
    def volume(self) -> float:
        """The master gain (linear, 0…1) on top of every source's own."""
        return self.engine.volume

    def set_volume(self, volume: float) -> None:
        self.engine.set_volume(volume)

    def output_gain(self, name: str) -> float:
        """The linear gain `name` is played at now: its own (loudness matching) times the
        volume."""
        return self.engine.gain(name)

    # -- polling ----------------------------------------------------------------------------------
    def _tick_soon(self) -> None:
        # The audio thread applies commands at its next block (a few ms); look then.
        QTimer.singleShot(15, self._tick)

    def _tick(self) -> None:
        engine = self.engine
        note = engine.check_health(time.monotonic())
        if note:
            self.message.emit(note)
        position = engine.position
        if position != self._last_position:
            self._last_position = position
            self.position_changed.emit(position)
        playing = engine.playing
        if playing != self._last_playing:
            self._last_playing = playing
            self.state_changed.emit("playing" if playing else "paused")
        audible = engine.audible
        if audible is not None and audible != self._last_audible:
            self._last_audible = audible
            if self._wanted_audible == audible:
                self._wanted_audible = None
            self.audible_changed.emit(audible)
        self._meter(playing, position)

    def _meter(self, playing: bool, position: float) -> None:
        """The level of what is heard around the playhead, from the audio in memory."""
        heard = self.engine.audible
        audio = self._sources.get(heard) if heard is not None else None
        if playing and audio is not None:
            self._metering = True
            self.levels_changed.emit(measure_levels(audio, position, self.engine.gain(heard)))
        elif self._metering:
            self._metering = False
            self.levels_changed.emit(None)

    def close(self) -> None:
        """Stop polling and close the output (on quit)."""
        self._closed = True
        self._timer.stop()
        if self._pending is not None:
            self._pending.cancel()
        self.engine.close()
