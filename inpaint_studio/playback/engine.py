"""The playback engine: one transport over a solo set of sources, in seconds and names.

`PlaybackEngine` owns a `Mixer` and its output (device or null), and speaks the musician's
terms: sources by name ("original", "v1", "v2"), a region looped with pre-roll and post-roll,
an audition across a seam, per-source gain in dB. Its methods are meant for one controlling
thread (the GUI's, through `services.player`); they never block on the audio thread.
Preparing sources copies the audio into the output layout, so `prepare_sources` may be run on
a worker and the result handed to `load_sources`."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from inpaint_studio.core.audio import Audio
from inpaint_studio.playback.isolated import RemoteOutput, shared_array, start_isolated
from inpaint_studio.playback.mixer import Mixer
from inpaint_studio.playback.output import DEFAULT_BLOCK, DEFAULT_LATENCY_S, open_output
from inpaint_studio.playback.sources import Allocator, SourceSet

log = logging.getLogger(__name__)

DEFAULT_PRE_ROLL_S = 2.0
DEFAULT_POST_ROLL_S = 2.0
SEAM_HALF_WIDTH_S = 2.0
_LATENCY_STEPS = (0.05, 0.1)  # buffer sizes to fall back on when the device underruns
_UNDERRUNS_TO_ESCALATE = 4
_UNDERRUN_WINDOW_S = 10.0


def prepare_sources(sources: Mapping[str, Audio], channels: int = 2,
                    gains_db: Mapping[str, float] | None = None,
                    allocate: Allocator | None = None, volume: float = 1.0) -> SourceSet:
    """Build a `SourceSet` (any thread; copies the audio). All sources take the length of the
    first one (the original's timeline). `allocate` puts the arrays where the mixer can read
    them (shared memory for the audio process). `volume` (linear) multiplies every gain."""
    first = next(iter(sources.values()))
    gains = {k: volume * 10.0 ** ((gains_db or {}).get(k, 0.0) / 20.0) for k in sources}
    extra = {"allocate": allocate} if allocate is not None else {}
    return SourceSet(sources, channels=channels, frames=first.frames, gains=gains, **extra)


def _isolation_default() -> bool:
    """Run the audio in its own process unless told not to (INPAINT_STUDIO_AUDIO_PROCESS=0). A
    frozen app can too: its entry script (packaging/launcher.py) calls
    multiprocessing.freeze_support() first, and the smoke test checks the process starts."""
    env = os.environ.get("INPAINT_STUDIO_AUDIO_PROCESS")
    if env is not None:
        return env.strip() not in ("0", "false", "no", "")
    return True


class PlaybackEngine:
    """Transport, solo set, loop and gains over a mixer and an output (see module doc)."""

    def __init__(self, *, use_device: bool = True, device: Any = None,
                 blocksize: int = DEFAULT_BLOCK, latency: float | str = DEFAULT_LATENCY_S,
                 channels: int = 2, sample_rate: int = 44100,
                 isolated: bool | None = None) -> None:
        self._use_device = use_device
        self.isolated = _isolation_default() if isolated is None else isolated
        self._device = device
        self._blocksize = blocksize
        self._latency = latency
        self.channels = channels
        self.pre_roll_s = DEFAULT_PRE_ROLL_S
        self.post_roll_s = DEFAULT_POST_ROLL_S
        self.region: tuple[float, float] | None = None
        self.loop_enabled = False
        self.gains_db: dict[str, float] = {}
        self.volume = 1.0  # the master gain (linear), on top of every source's own
        self._sources: SourceSet | None = None
        self._past_underruns = 0
        self._seen_underruns = 0
        self._recent: list[float] = []
        self.mixer, self.output = self._open(sample_rate)

    def _open(self, rate: int) -> tuple[Any, Any]:
        """A mixer and its started output: in the audio process when isolated (falling back to
        this process if it cannot be started), else here."""
        options = {"device": self._device, "blocksize": self._blocksize,
                   "latency": self._latency, "use_device": self._use_device}
        if self.isolated:
            try:
                return start_isolated(rate, self.channels, options)
            except Exception:  # noqa: BLE001 - no audio process: play from this one
                log.warning("the audio process could not be started; playing in-process",
                            exc_info=True)
                self.isolated = False
        mixer = Mixer(rate, self.channels)
        return mixer, open_output(mixer, **options)

    def prepare(self, sources: Mapping[str, Audio]) -> SourceSet:
        """Prepare sources for this engine's mixer (any thread; copies the audio once, into
        shared memory when the mixer runs in the audio process)."""
        return prepare_sources(sources, self.channels, self.gains_db,
                               shared_array if self.isolated else None, self.volume)

    # -- what is there ---------------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        return self.mixer.sample_rate

    @property
    def output_kind(self) -> str:
        return self.output.kind

    @property
    def output_description(self) -> str:
        return self.output.description

    @property
    def unavailable_reason(self) -> str | None:
        """Why nothing is heard (None when a device plays)."""
        return getattr(self.output, "reason", None) if self.output.kind == "null" else None

    @property
    def names(self) -> tuple[str, ...]:
        return self._sources.names if self._sources is not None else ()

    @property
    def duration(self) -> float:
        return self._sources.duration if self._sources is not None else 0.0

    # -- sources -----------------------------------------------------------------------------
    def set_sources(self, sources: Mapping[str, Audio]) -> None:
        """Prepare and load on the calling thread (fine for short songs and tests)."""
        self.load_sources(self.prepare(sources))

    def load_sources(self, prepared: SourceSet) -> None:
        """Swap in prepared sources at the same playhead. A new sample rate reopens the output
        at that rate (playback keeps its position)."""
        if prepared.sample_rate != self.mixer.sample_rate:
            self._reopen(prepared.sample_rate)
        self._sources = prepared
        self.mixer.set_sources(prepared)
        for name in prepared.names:  # prepared with the gains and volume of its time
            if float(prepared.gains[prepared.index[name]]) != self.gain(name):
                self._send_gain(name)
        self._send_loop()

    def _reopen(self, rate: int, keep_mixer: bool = False) -> None:
        """A new output (new rate or buffer size). With `keep_mixer` the mixer, its sources and
        its playhead carry on in the new stream untouched."""
        old_mixer = self.mixer
        position, playing = old_mixer.position, old_mixer.playing
        self._past_underruns += self.output.underruns
        self._seen_underruns = 0
        if keep_mixer and isinstance(self.output, RemoteOutput) and self.output.alive:
            self.output.reopen(rate, self._latency)  # the audio process keeps its mixer
            return
        self.output.close()
        if keep_mixer and not isinstance(self.output, RemoteOutput):
            self.output = open_output(self.mixer, device=self._device,
                                      blocksize=self._blocksize, latency=self._latency,
                                      use_device=self._use_device)
            return
        self.mixer, self.output = self._open(rate)
        if self._sources is not None and self._sources.sample_rate == rate:
            self.mixer.set_sources(self._sources)  # a restarted audio process needs them again
        self.mixer.seek(round(position * rate / old_mixer.sample_rate))
        if playing:
            self.mixer.play()

    # -- transport ---------------------------------------------------------------------------
    @property
    def position(self) -> float:
        """The playhead in seconds (advances by exactly the frames rendered)."""
        return self.mixer.position / self.mixer.sample_rate

    @property
    def playing(self) -> bool:
        return self.mixer.playing

    @property
    def audible(self) -> str | None:
        return self.mixer.audible

    def play(self) -> None:
        self.mixer.stop_at(None)
        self._send_loop()
        self.mixer.play()

    def pause(self) -> None:
        self.mixer.pause()

    def stop(self, return_to: float = 0.0) -> None:
        """Pause and put the playhead at `return_to`."""
        self.mixer.stop_at(None)
        self.mixer.pause()
        self.mixer.seek(self._frame(return_to))

    def seek(self, seconds: float) -> None:
        self.mixer.seek(self._frame(seconds))

    def select(self, name: str) -> None:
        self.mixer.select(name)

    def _frame(self, seconds: float) -> int:
        return max(0, round(seconds * self.mixer.sample_rate))

    # -- loop and seams ----------------------------------------------------------------------
    def set_region(self, region: tuple[float, float] | None) -> None:
        self.region = None if region is None else (min(region), max(region))
        self._send_loop()

    def set_rolls(self, pre_roll_s: float, post_roll_s: float) -> None:
        self.pre_roll_s = max(0.0, pre_roll_s)
        self.post_roll_s = max(0.0, post_roll_s)
        self._send_loop()

    def loop_span(self) -> tuple[float, float] | None:
        """The looped stretch in seconds: the region with its pre- and post-roll, clipped."""
        if self.region is None:
            return None
        a = max(0.0, self.region[0] - self.pre_roll_s)
        b = self.region[1] + self.post_roll_s
        if self._sources is not None:
            b = min(b, self._sources.duration)
        return (a, b)

    def set_loop_enabled(self, enabled: bool) -> None:
        """Turn the loop on or off. Turning it on while the playhead is outside the loop moves
        the playhead to the loop's start, so L does what it says at once."""
        self.loop_enabled = bool(enabled)
        self._send_loop()
        span = self.loop_span()
        if self.loop_enabled and span is not None:
            self.mixer.stop_at(None)
            if not span[0] <= self.position < span[1]:
                self.seek(span[0])

    def _send_loop(self) -> None:
        span = self.loop_span() if self.loop_enabled else None
        if span is None:
            self.mixer.set_loop(None)
        else:
            self.mixer.set_loop(self._frame(span[0]), self._frame(span[1]))

    def play_across(self, seconds: float, half_width_s: float = SEAM_HALF_WIDTH_S) -> None:
        """Audition once from `half_width_s` before `seconds` to as long after (e.g. a seam),
        with the loop suspended for that pass."""
        self.mixer.set_loop(None)
        self.mixer.seek(self._frame(max(0.0, seconds - half_width_s)))
        self.mixer.stop_at(self._frame(seconds + half_width_s))
        self.mixer.play()

    def play_seam(self, side: str) -> None:
        """Play across the region's "left" or "right" seam."""
        if self.region is None:
            raise ValueError("there is no region, so there is no seam to play")
        self.play_across(self.region[0] if side == "left" else self.region[1])

    # -- gain ----------------------------------------------------------------------------------
    def set_gain_db(self, name: str, db: float) -> None:
        self.gains_db[name] = float(db)
        self._send_gain(name)

    def gain(self, name: str) -> float:
        """The linear gain `name` is heard at: its own (dB) times the volume."""
        return self.volume * 10.0 ** (self.gains_db.get(name, 0.0) / 20.0)

    def _send_gain(self, name: str) -> None:
        self.mixer.set_gain(name, self.gain(name))

    def set_volume(self, volume: float) -> None:
        """The master gain (linear, 0…1) applied to every source, ramped like a source's
        gain change."""
        self.volume = max(0.0, float(volume))
        for name in set(self.names) | set(self.gains_db):
            self._send_gain(name)

    def clear_gains(self) -> None:
        for name in list(self.gains_db):
            self.set_gain_db(name, 0.0)
        self.gains_db.clear()

    # -- health ----------------------------------------------------------------------------------
    @property
    def underruns(self) -> int:
        """Underruns of the current output plus those of outputs replaced by `check_health`."""
        return self._past_underruns + self.output.underruns

    def check_health(self, now: float) -> str | None:
        """Call periodically (e.g. with the playhead updates; `now` = time.monotonic()). If the
        device keeps underrunning (a busy machine), reopen it with a larger buffer, keeping the
        playhead and what plays, and return a message saying so; else None."""
        if isinstance(self.output, RemoteOutput) and not self.output.alive:
            self._reopen(self.mixer.sample_rate)
            return "The audio process stopped unexpectedly and was restarted."
        count = self.output.underruns
        if count != self._seen_underruns:
            # Only underruns while playing are heard; an idle stream that misses a block of
            # silence (a busy machine, a suspended sink) is no reason to grow the buffer.
            if self.mixer.playing:
                self._recent.extend([now] * (count - self._seen_underruns))
            self._seen_underruns = count
        self._recent = [t for t in self._recent if now - t < _UNDERRUN_WINDOW_S]
        if self.output.kind != "device" or len(self._recent) < _UNDERRUNS_TO_ESCALATE:
            return None
        asked = self._latency if isinstance(self._latency, float) else 0.0
        current = max(asked, float(getattr(self.output, "latency", 0.0)))
        larger = [v for v in _LATENCY_STEPS if v > current + 0.005 and v > asked]
        if not larger:
            return None
        self._latency = larger[0]
        self._recent = []
        self._reopen(self.mixer.sample_rate, keep_mixer=True)
        return (f"Audio output buffer raised to {self._latency * 1000:.0f} ms: the computer "
                "could not keep up with a smaller one (switches are heard that much later).")

    def close(self) -> None:
        self.output.close()
