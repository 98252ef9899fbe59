"""The mixer: one timeline position over a set of prepared sources, one of them audible.

Sonic Visualiser's solo-set idea: every candidate (Original, Version 1, Version 2) stays loaded
and follows the same playhead; selecting one changes only what is heard, with a short
equal-power crossfade, and never moves the playhead. Seeks, loop wraps, play and pause are
crossfades too (to or from silence), so nothing clicks.

Threads: the control methods (`play`, `pause`, `seek`, `select`, `set_loop`, `set_gain`,
`set_sources`) may be called from any thread; they only append a prepared tuple to a deque
(append/popleft are atomic in CPython: no lock is shared with the audio thread). `render` is
called by the audio callback only: it drains the commands, then slices and multiplies prepared
float32 arrays into the output buffer with `out=` arguments and a preallocated scratch buffer.
The published attributes (`position`, `playing`, `audible`, ...) are plain attribute stores,
read by other threads as snapshots."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from inpaint_studio.playback.sources import TAIL_FRAMES, SourceSet

DEFAULT_CROSSFADE_S = 0.008  # a switch is heard within 8 ms, without a click

_EQUAL_POWER = 0
_LINEAR = 1  # for a gain change on one source: a plain ramp, no +3 dB bump


class MixerControls:
    """The control methods of a mixer (any thread), shared by `Mixer` and the audio process's
    `MixerProxy`: each one turns its call into one prepared command tuple for `send_command`,
    which the `Mixer` queues for its audio thread and the proxy sends to the audio process."""

    sample_rate: int
    channels: int

    def send_command(self, cmd: tuple[Any, ...]) -> None:
        raise NotImplementedError

    def check_layout(self, sources: SourceSet) -> None:
        """Raise `ValueError` unless `sources` have this mixer's rate and channel count."""
        if sources.sample_rate != self.sample_rate or sources.channels != self.channels:
            raise ValueError(
                f"sources are {sources.sample_rate} Hz/{sources.channels} ch, the mixer "
                f"{self.sample_rate} Hz/{self.channels} ch"
            )

    def play(self) -> None:
        self.send_command(("play",))

    def pause(self) -> None:
        self.send_command(("pause",))

    def seek(self, frame: int) -> None:
        self.send_command(("seek", int(frame)))

    def select(self, name: str) -> None:
        """Make `name` the audible source at the same playhead."""
        self.send_command(("select", name))

    def set_loop(self, start: int | None, end: int | None = None) -> None:
        """Loop [start, end) frames; `None` turns looping off."""
        if start is None or end is None:
            self.send_command(("loop", None))
        else:
            self.send_command(("loop", (int(start), int(end))))

    def stop_at(self, frame: int | None) -> None:
        """Pause by itself when the playhead reaches `frame` (faded out just before it);
        `None` clears it. Used to audition a stretch once, e.g. across a seam."""
        self.send_command(("stop_at", None if frame is None else int(frame)))

    def set_gain(self, name: str, gain: float) -> None:
        """Linear gain of one source, ramped over a crossfade if it is the one heard."""
        self.send_command(("gain", name, float(gain)))


class Mixer(MixerControls):
    """Renders the audible source at the playhead into output buffers (see module doc)."""

    def __init__(self, sample_rate: int = 44100, channels: int = 2,
                 crossfade_s: float = DEFAULT_CROSSFADE_S) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.crossfade_frames = max(1, min(TAIL_FRAMES // 2, round(crossfade_s * sample_rate)))
        x = self.crossfade_frames
        t = (np.arange(x, dtype=np.float64) + 0.5) / x
        # (fade-out, fade-in) curves per law, shaped (x, 1) to broadcast over channels
        self._curves = (
            (np.cos(t * np.pi / 2).astype(np.float32)[:, None],
             np.sin(t * np.pi / 2).astype(np.float32)[:, None]),
            ((1.0 - t).astype(np.float32)[:, None], t.astype(np.float32)[:, None]),
        )
        self._scratch = np.zeros((x, channels), dtype=np.float32)
        self._commands: deque[tuple[Any, ...]] = deque()
        self._graveyard: deque[tuple[int, SourceSet]] = deque()
        # -- owned by the audio thread -------------------------------------------------
        self._set: SourceSet | None = None
        self._pos = 0
        self._cur = 0
        self._playing = False
        self._stopping = False  # fading out towards a pause
        self._loop: tuple[int, int] | None = None
        self._stop_at: int | None = None  # a one-shot range ends here (fading out before it)
        self._fade_src: np.ndarray | None = None  # what fades out; None = silence
        self._fade_pos = 0
        self._fade_gain = 1.0
        self._fade_law = _EQUAL_POWER
        self._fade_k = x  # frames of the current fade done; x = no fade running
        # -- published for other threads (snapshots) -------------------------------------
        self.position = 0  # timeline frame after the last rendered block
        self.playing = False
        self.audible: str | None = None
        self.loop: tuple[int, int] | None = None
        self.frames_rendered = 0
        self.ended = 0  # times playback ran off the end of the song
        self.switches = 0  # source switches applied (each one a crossfade)

    # -- control (any thread) ---------------------------------------------------------------
    def set_sources(self, sources: SourceSet) -> None:
        """Replace the loaded sources (built off the audio thread). The audible name is kept
        when the new set has it, else the first source becomes audible."""
        self.check_layout(sources)
        self.collect()
        self.send_command(("sources", sources))

    def send_command(self, cmd: tuple[Any, ...]) -> None:
        """Queue a prepared command for the audio thread (the control methods make them)."""
        self._commands.append(cmd)

    def collect(self) -> None:
        """Free sources the audio thread let go of (here, not in the callback: freeing hundreds
        of MB can take milliseconds). Keeps the recent ones a fade may still read."""
        keep_after = self.frames_rendered - self.sample_rate  # a second of audio is plenty
        while self._graveyard and self._graveyard[0][0] < keep_after:
            self._graveyard.popleft()

    @property
    def sources(self) -> SourceSet | None:
        return self._set

    # -- audio thread -------------------------------------------------------------------------
    def _begin_fade(self, src: np.ndarray | None, pos: int, gain: float, law: int) -> None:
        self._fade_src, self._fade_pos, self._fade_gain = src, pos, gain
        self._fade_law = law
        self._fade_k = 0

    def _fading_out_current(self, law: int = _EQUAL_POWER) -> None:
        """Start a fade from what is heard now (if anything) to whatever follows."""
        s = self._set
        if self._playing and not self._stopping and s is not None:
            self._begin_fade(s.data[self._cur], self._pos, float(s.gains[self._cur]), law)

    def _apply(self, cmd: tuple[Any, ...]) -> None:
        kind = cmd[0]
        s = self._set
        if kind == "sources":
            new: SourceSet = cmd[1]
            name = s.names[self._cur] if s is not None else None
            self._fading_out_current()
            if s is not None:
                self._graveyard.append((self.frames_rendered, s))
            self._set = new
            self._cur = new.index.get(name, 0) if name is not None else 0
            self._pos = min(self._pos, new.frames)
            self._clamp_loop()
        elif kind == "play":
            if s is None:
                return
            if not self._playing or self._stopping:
                if self._loop is None and self._pos >= s.frames:
                    self._pos = 0
                self._playing, self._stopping = True, False
                self._begin_fade(None, 0, 0.0, _EQUAL_POWER)  # fade in from silence
        elif kind == "pause":
            if self._playing and not self._stopping and s is not None:
                self._fading_out_current()
                self._stopping = True
        elif kind == "seek":
            frames = s.frames if s is not None else 0
            self._fading_out_current()
            self._pos = max(0, min(cmd[1], frames))
        elif kind == "select":
            if s is None:
                return
            idx = s.index.get(cmd[1])
            if idx is not None and idx != self._cur:
                self._fading_out_current()
                self._cur = idx
                self.switches += 1
        elif kind == "loop":
            self._loop = cmd[1]
            self._clamp_loop()
        elif kind == "stop_at":
            self._stop_at = cmd[1]
        elif kind == "gain":
            if s is None:
                return
            idx = s.index.get(cmd[1])
            if idx is not None:
                if idx == self._cur:
                    self._fading_out_current(_LINEAR)
                s.gains[idx] = cmd[2]

    def _clamp_loop(self) -> None:
        if self._loop is None or self._set is None:
            return
        a, b = self._loop
        frames = self._set.frames
        a, b = max(0, min(a, frames)), max(0, min(b, frames))
        self._loop = (a, b) if b - a >= self.crossfade_frames * 2 else None

    def render(self, out: np.ndarray) -> None:
        """Fill `out` (frames, channels) float32 with the next block. Audio thread only."""
        while self._commands:
            self._apply(self._commands.popleft())
        n = out.shape[0]
        x = self.crossfade_frames
        done = 0
        s = self._set
        while done < n:
            if not self._playing or s is None:
                out[done:].fill(0.0)
                break
            end = self._loop[1] if self._loop is not None else s.frames
            if self._stop_at is not None and not self._stopping:
                fade_from = max(0, self._stop_at - x)
                if self._pos >= fade_from:
                    self._fading_out_current()
                    self._stopping = True
                    self._pos, self._stop_at = self._stop_at, None
                    continue
                end = min(end, fade_from)
            if self._pos >= end:
                if self._loop is not None:  # wrap: crossfade the loop's end into its start
                    self._fading_out_current()
                    self._pos = self._loop[0]
                    continue
                self._playing = self._stopping = False
                self._fade_k = x
                self._pos = s.frames
                self.ended += 1
                continue
            seg = min(n - done, end - self._pos)
            fading = self._fade_k < x
            if fading:
                seg = min(seg, x - self._fade_k)
            dst = out[done : done + seg]
            holding = self._stopping  # a pause holds the playhead where it was asked for
            if self._stopping:
                dst.fill(0.0)
            else:
                np.multiply(s.data[self._cur][self._pos : self._pos + seg],
                            np.float32(s.gains[self._cur]), out=dst)
            if fading:
                k = self._fade_k
                curve_out, curve_in = self._curves[self._fade_law]
                if not self._stopping:
                    np.multiply(dst, curve_in[k : k + seg], out=dst)
                src = self._fade_src
                if src is not None:
                    tmp = self._scratch[:seg]
                    np.multiply(src[self._fade_pos : self._fade_pos + seg],
                                curve_out[k : k + seg], out=tmp)
                    if self._fade_gain != 1.0:
                        np.multiply(tmp, np.float32(self._fade_gain), out=tmp)
                    np.add(dst, tmp, out=dst)
                self._fade_pos += seg
                self._fade_k = k + seg
                if self._fade_k >= x:
                    self._fade_src = None  # drop the reference; the set lives on elsewhere
                    if self._stopping:
                        self._playing = self._stopping = False
            if not holding:
                self._pos += seg
            done += seg
        if self._playing and self._loop is not None and self._pos >= self._loop[1]:
            self._fading_out_current()  # wrap now, so the published playhead is in the loop
            self._pos = self._loop[0]
        self.frames_rendered += n
        self.position = self._pos
        self.playing = self._playing and not self._stopping
        self.audible = s.names[self._cur] if s is not None else None
        self.loop = self._loop
