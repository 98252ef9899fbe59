"""Compare: play, loop and switch Original / Version 1 / Version 2 at the same playhead.

The feature adds the transport (a dock), the Playback menu and its keys, one lane per returned
version with the spans where it differs from the original and its seams, and the seam readout
(a dock). The composition root (app.py) builds it from the player and the seam readout and links
the jobs feature's `versions_shown` to `show_versions` (versions already aligned to the song's
timeline).

Keys: Space play/pause, Shift+Space stop, 1/2/3 hear Original/Version 1/Version 2 (or click a
lane), L loop the region with pre/post-roll, [ and ] play across the left/right seam, M match
loudness, B blind comparison."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.peaks import PeakPyramid
from inpaint_studio.gui.lane_marks import LaneMarks
from inpaint_studio.gui.lane_readout import SeamReadoutTable
from inpaint_studio.gui.lanes import BLIND_COLOURS
from inpaint_studio.gui.main_window import MainWindow
from inpaint_studio.gui.transport_bar import SOURCE_KEYS, TransportBar
from inpaint_studio.services.job_controller import Job
from inpaint_studio.services.player import Player, volume_gain
from inpaint_studio.services.seam_readout import SeamReadout, VersionReadout
from inpaint_studio.services.settings import Settings

log = logging.getLogger(__name__)

NAMES = {"original": "Original", "v1": "Version 1", "v2": "Version 2"}
ROLL_FILL = (255, 179, 0, 22)  # the loop's pre- and post-roll: the region's colour, fainter


class _TitleClicks(QObject):
    """Clicking a lane's title selects its version without moving the playhead."""

    def __init__(self, callback: Any, parent: QObject) -> None:
        super().__init__(parent)
        self.callback = callback

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.MouseButtonPress:
            self.callback()
            return True
        return False


class CompareFeature(QObject):
    """Wires the player to the window: transport, keys, lanes, readout, loudness, blind mode."""

    def __init__(self, window: MainWindow, player: Player, readout: SeamReadout, *,
                 audio_output: bool = True, settings: Settings | None = None) -> None:
        super().__init__(window)
        self.settings = settings  # remembers the volume and the device (None: nothing kept)
        self.window = window
        self.audio_output = audio_output  # False: no device was asked for (--screenshot)
        self.player = player
        self.readout = readout
        self.versions: dict[str, Audio] = {}
        self.peaks: dict[str, PeakPyramid] = {}  # the versions' waveform summaries, by name
        self.version_region: tuple[float, float] | None = None
        self.lanes: dict[str, Any] = {}
        self.marks: dict[str, LaneMarks] = {}
        self.readouts: dict[str, VersionReadout] = {}
        self.blind = False
        self.blind_order: list[str] = []  # blind version A, B, … → real name
        self.picked: str | None = None
        self.loudness_match = False
        self.song_label = NAMES["original"]  # "Edited" once a keep is applied (name_song)
        self.kept_index = 0  # the version whose keep is the latest applied (0: none)
        self.keep_texts: dict[int, str] = {}  # version index → "Keeps/Kept m:ss.mmm–m:ss.mmm"
        self._play_started_at = 0.0
        self._sent: tuple[Audio | None, ...] = (None,)
        self.bar = TransportBar()
        self.table = SeamReadoutTable()
        self.dock = window.add_dock(self.bar, "Transport", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.readout_dock = window.add_dock(self.table, "Seams",
                                            Qt.DockWidgetArea.BottomDockWidgetArea)
        window.resizeDocks([self.dock, self.readout_dock], [800, 800],
                           Qt.Orientation.Horizontal)
        self.rolls = [self._roll_item() for _ in range(2)]  # the loop's pre- and post-roll
        self._build_actions()
        self._connect()
        self._restore_output_settings()
        self._show_output()
        self._show_sources()
        for line in (window.detail.playhead, window.overview.playhead):
            self._draggable(line)
        if audio_output and not player.opening and not player.available:
            window.status(f"Playback is off: {player.unavailable_reason}")
        player.output_changed.connect(self._output_opened)
        if audio_output and not player.opening:
            player.list_devices()

    def _output_opened(self) -> None:
        """The output the player opened after start-up is in place (or failed): say which."""
        self._show_output()
        if self.audio_output:
            self.player.list_devices()
        if self.audio_output and not self.player.available:
            self.window.status(f"Playback is off: {self.player.unavailable_reason}")

    # -- building --------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        menu = self.window.menu("Playback")
        reg = self.window.shortcuts.register
        self.actions: dict[str, QAction] = {}

        def add(key: str, text: str, keys: list[str], fn: Any, checkable: bool = False) -> None:
            action = menu.addAction(text)
            action.setCheckable(checkable)
            if checkable:
                action.toggled.connect(fn)
            else:
                action.triggered.connect(lambda _c=False, f=fn: f())
            for k in keys:
                reg(k, text.replace("&", ""), action)
            self.actions[key] = action

        add("play", "&Play / pause", ["Space"], self.toggle_play)
        add("stop", "&Stop", ["Shift+Space"], self.stop)
        menu.addSeparator()
        for i, name in enumerate(SOURCE_KEYS):
            add(name, f"Hear {NAMES[name]}", [str(i + 1)],
                lambda i=i: self.select_slot(i))
        menu.addSeparator()
        add("loop", "&Loop the region", ["L"], self.set_loop, checkable=True)
        add("left", "Play across the &left seam", ["["], lambda: self.player.play_seam("left"))
        add("right", "Play across the &right seam", ["]"],
            lambda: self.player.play_seam("right"))
        menu.addSeparator()
        add("loudness", "&Match loudness", ["M"], self.set_loudness_match, checkable=True)
        add("blind", "&Blind comparison", ["B"], self.set_blind, checkable=True)

    def _connect(self) -> None:
        w, p, bar = self.window, self.player, self.bar
        bar.play_clicked.connect(self.toggle_play)
        bar.stop_clicked.connect(self.stop)
        bar.loop_toggled.connect(self.set_loop)
        bar.rolls_changed.connect(p.set_rolls)
        bar.rolls_changed.connect(lambda *_: self._show_rolls())
        bar.seam_clicked.connect(p.play_seam)
        bar.source_clicked.connect(self.select_slot)
        bar.loudness_toggled.connect(self.set_loudness_match)
        bar.blind_toggled.connect(self.set_blind)
        bar.pick_clicked.connect(self.pick)
        bar.volume_changed.connect(self.set_volume)
        bar.device_chosen.connect(self.choose_device)
        p.levels_changed.connect(bar.show_levels)
        p.devices_listed.connect(lambda names: bar.show_devices(names, p.device))
        p.position_changed.connect(self._on_position)
        p.state_changed.connect(lambda s: bar.show_playing(s == "playing"))
        p.audible_changed.connect(self._on_audible)
        p.loop_changed.connect(self._on_loop)
        p.sources_changed.connect(lambda _names: self._show_sources())
        p.message.connect(w.status)
        p.message.connect(lambda _m: self._show_output())
        p.error.connect(lambda m: w.report_error("Playback", m))
        w.playhead.seek_requested.connect(p.seek)
        w.region.committed.connect(self._on_region)
        w.document.loaded.connect(self._on_song_loaded)
        w.document.changed.connect(self._on_document_changed)
        w.document.closed.connect(self._on_song_closed)
        self.readout.updated.connect(self._on_readout)

    def _draggable(self, line: Any) -> None:
        """Let the musician drag a playhead line to seek (scrubbing while playing)."""
        line.setMovable(True)
        line.setHoverPen(line.pen.color(), width=3)
        line.sigDragged.connect(lambda item: self.window.playhead.seek(float(item.value())))

    # -- output: volume and device ---------------------------------------------------------------
    def _restore_output_settings(self) -> None:
        if self.settings is None:
            return
        percent = max(0, min(100, int(self.settings.get("playback/volume"))))
        self.bar.show_volume(percent)
        self.player.set_volume(volume_gain(percent))
        device = self.settings.get("playback/device")
        self.bar.show_devices([], device)
        self.player.set_device(device)

    def set_volume(self, percent: int) -> None:
        """The output volume in percent (0…100), remembered."""
        self.player.set_volume(volume_gain(percent))
        self.bar.show_volume(percent)
        if self.settings is not None:
            self.settings.set("playback/volume", int(percent))

    def choose_device(self, name: str) -> None:
        """Play on the output device `name` ("" = the default), remembered."""
        if self.settings is not None:
            self.settings.set("playback/device", name)
        self.player.set_device(name)
        self._show_output()

    # -- sources ---------------------------------------------------------------------------------
    def _original(self) -> Audio | None:
        return self.window.document.audio

    def _send_sources(self) -> None:
        original = self._original()
        if original is None:
            return
        sources: dict[str, Audio] = {"original": original}
        sources.update(self.versions)
        self._sent = (original, *self.versions.values())
        self.player.set_sources(sources)

    def _on_song_loaded(self) -> None:
        self.clear_versions()
        self.player.stop(0.0)
        self._send_sources()

    def _on_song_closed(self) -> None:
        self.player.stop(0.0)
        self.clear_versions()

    def _on_document_changed(self) -> None:
        # A kept version replaces the original's audio in place (same timeline): hear the new one.
        doc = self.window.document
        if doc.state == "ready" and doc.audio is not None and doc.audio is not self._sent[0]:
            self._send_sources()

    def show_versions(self, job: Job, versions: list[tuple[int, Audio]],
                      peaks: Mapping[int, PeakPyramid | None] | None = None) -> None:
        """The jobs feature's `versions_shown`: a finished job's versions, to hear."""
        self.set_versions(versions, job=job, peaks=peaks)

    def set_versions(self, versions: list[tuple[int, Audio]], job: Job | None = None,
                     peaks: Mapping[int, PeakPyramid | None] | None = None) -> None:
        """Show and load the versions of a job: `[(1, audio), (2, audio)]` on the song's timeline.
        `job` (optional) gives the region they were made for (`job.start`, `job.end`); `peaks`
        the versions' waveform summaries by index when already built (the jobs feature builds
        them in its worker). Missing ones are built in a worker: a long version's summary would
        stall the GUI thread."""
        self.clear_versions()
        self.versions = {f"v{index}": audio for index, audio in versions if index in (1, 2)}
        given = peaks or {}
        self.peaks = {f"v{i}": given[i] for i in (1, 2) if given.get(i) is not None
                      and f"v{i}" in self.versions}
        for name, audio in self.versions.items():
            if name not in self.peaks:
                self._build_peaks(name, audio)
        region = None
        if job is not None:
            region = (float(job.start), float(job.end))
        elif self.window.region.region is not None:
            region = (self.window.region.region.start, self.window.region.region.end)
        self.version_region = region
        if region is not None and self.window.region.region is None:
            self.player.set_region(region)
        self._build_lanes()
        self._send_sources()
        original = self._original()
        if original is not None and self.versions:
            self.table.clear()
            self.readout.compute(original, self.versions, region)
        n = len(self.versions)
        keys = "/".join(str(k) for k in range(1, n + 2))
        self.window.status(f"{n} version{'s' if n != 1 else ''} loaded: keys {keys} switch what "
                           "you hear at the same playhead.")

    def _build_peaks(self, name: str, audio: Audio) -> None:
        worker = self.window.workers.run(
            lambda _ctx: PeakPyramid.from_samples(audio.samples, audio.sample_rate),
            name=f"peaks {name}")
        worker.returned.connect(lambda pyramid: self._peaks_built(name, audio, pyramid))
        worker.errored.connect(lambda exc: self.window.status(
            f"The waveform of {name} could not be drawn: {exc}"))

    def _peaks_built(self, name: str, audio: Audio, pyramid: PeakPyramid) -> None:
        if self.versions.get(name) is not audio:
            return  # other versions were shown meanwhile
        self.peaks[name] = pyramid
        lane = self.lanes.get(name)
        if lane is not None and not self.blind:
            lane.set_audio(audio, pyramid)
            self._draw_marks(name)

    def clear_versions(self) -> None:
        self.readout.cancel()
        for marks in self.marks.values():
            marks.clear()
        for lane in self.lanes.values():
            self.window.lanes.remove_lane(lane)
        self.lanes, self.marks, self.readouts = {}, {}, {}
        had = bool(self.versions)
        self.versions = {}
        self.peaks = {}
        self.version_region = None
        self.table.clear()
        if had:
            self.player.clear_gains()
            self._send_sources()
        self._show_sources()

    # -- lanes -----------------------------------------------------------------------------------
    def _label(self, name: str) -> str:
        """What the musician sees for a source (hides identities in blind mode): the song as it
        stands ("Original", or "Edited" after a keep), "Version 2 (kept)" for the one kept."""
        if self.blind and name in self.blind_order:
            return f"Version {'AB'[self.blind_order.index(name)]}"
        if name == "original":
            return self.song_label
        label = NAMES.get(name, name)
        if self.kept_index and name == f"v{self.kept_index}":
            label += " (kept)"
        return label

    def name_song(self, name: str, kept: int) -> None:
        """The keep feature's `song_named`: what the song is called as it stands and which
        version was kept. A new keep is heard at once: the transport switches to the song."""
        newly_kept = kept and kept != self.kept_index
        self.song_label, self.kept_index = name, int(kept)
        for lane_name, lane in self.lanes.items():
            if not self.blind:  # blind lanes keep their "hidden" titles
                lane.title.setText(self._label(lane_name))
        self._show_sources()
        if newly_kept:
            self.select("original")
        else:
            self._on_audible(self.player.audible or "original")
        self._show_readout()

    def show_keep_spans(self, texts: Mapping[int, str]) -> None:
        """The keep feature's `spans_changed`: the one span each version's keep replaces."""
        self.keep_texts = dict(texts)
        self._show_readout()

    def _lane_order(self) -> list[str]:
        return list(self.blind_order) if self.blind else sorted(self.versions)

    def _build_lanes(self) -> None:
        for marks in self.marks.values():
            marks.clear()
        for lane in self.lanes.values():
            self.window.lanes.remove_lane(lane)
        self.lanes, self.marks = {}, {}
        for name in self._lane_order():
            pyramid = self.peaks.get(name)  # drawn once its summary is there (never built here)
            if self.blind:
                # Alike by eye: the same colour and no waveform (its shape would tell which
                # version is which); only the seams are marked.
                lane = self.window.lanes.add_lane(
                    f"{self._label(name)} — hidden until you pick", colours=BLIND_COLOURS)
            else:
                lane = self.window.lanes.add_lane(self._label(name),
                                                  self.versions[name] if pyramid else None,
                                                  pyramid)
            lane.clicked.connect(lambda _s, n=name: self.select(n))
            lane.title.installEventFilter(_TitleClicks(lambda n=name: self.select(n), lane))
            lane.title.setCursor(Qt.CursorShape.PointingHandCursor)
            self._draggable(lane.playhead)
            self.lanes[name] = lane
            self.marks[name] = LaneMarks(lane.plot)
            self._draw_marks(name)
        self._on_audible(self.player.audible or "original")

    def _draw_marks(self, name: str) -> None:
        marks = self.marks.get(name)
        if marks is None:
            return
        item = self.readouts.get(name)
        seams = list(self.version_region) if self.version_region else []
        changed = item.changed if item is not None and not self.blind else []
        marks.show(changed, seams)

    # -- transport -------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        if not self.player.playing:
            self._play_started_at = self.player.position
        self.player.toggle()

    def stop(self) -> None:
        self.player.stop(self._play_started_at)

    def select_slot(self, slot: int) -> None:
        """Key 1/2/3: slot 0 is the original; 1 and 2 are the versions in the order shown."""
        if slot == 0:
            self.select("original")
            return
        order = self._lane_order()
        if slot - 1 < len(order):
            self.select(order[slot - 1])
        else:
            self.window.status(f"Version {slot} is not here yet: no job has returned it for "
                               "this song.")
            self._on_audible(self.player.audible or "original")

    def select(self, name: str) -> None:
        if name != "original" and name not in self.versions:
            self.window.status(f"{NAMES.get(name, name)} is not loaded.")
            return
        self.player.select(name)
        self._on_audible(name)

    def _on_position(self, seconds: float) -> None:
        self.window.playhead.set_position(seconds)
        self.bar.show_position(seconds)
        if self.player.playing:
            self._follow(seconds)

    def _follow(self, seconds: float) -> None:
        """Keep the playhead in the detail view: page forward when it leaves the view."""
        detail = self.window.detail
        x0, x1 = detail.visible_range()
        width = x1 - x0
        if width > 0 and not (x0 <= seconds <= x1):
            detail.set_view(seconds - 0.1 * width, seconds + 0.9 * width)

    def _on_audible(self, name: str) -> None:
        for lane_name, lane in self.lanes.items():
            lane.set_active(lane_name == name)
        slot = 0 if name == "original" else (
            self._lane_order().index(name) + 1 if name in self.versions else None)
        self.bar.show_hearing(slot, self._label(name))
        for i, key in enumerate(SOURCE_KEYS):
            action = self.actions.get(key)
            if action is not None:
                action.setText(f"Hear {self._slot_label(i)}")

    def _slot_label(self, slot: int) -> str:
        if slot == 0:
            return self.song_label
        order = self._lane_order()
        return self._label(order[slot - 1]) if slot - 1 < len(order) else f"Version {slot}"

    def _show_sources(self) -> None:
        order = self._lane_order()
        self.bar.set_song_open(self._original() is not None)
        labels: list[str | None] = [self.song_label if self._original() is not None else None]
        labels += [self._label(order[i]) if i < len(order) else None for i in range(2)]
        self.bar.show_sources(labels)

    def set_loop(self, on: bool) -> None:
        """L / Loop region: loop the region with its pre- and post-roll, and play it (turning the
        loop on is asking to hear it)."""
        self.player.set_loop(bool(on))
        if on and self.player.loop_enabled and not self.player.playing:
            self.toggle_play()

    def _roll_item(self) -> Any:
        """A shaded span on the detail view for a pre- or post-roll; it takes no mouse events,
        so dragging the region works through it."""
        item = pg.LinearRegionItem((0.0, 0.0), movable=False, brush=pg.mkBrush(ROLL_FILL),
                                   pen=pg.mkPen(None))
        item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        item.setAcceptHoverEvents(False)
        for line in item.lines:
            line.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            line.setAcceptHoverEvents(False)
            line.setPen(pg.mkPen(None))
        item.setZValue(-5)
        item.setVisible(False)
        self.window.detail.plot_widget.addItem(item)
        return item

    def _show_rolls(self) -> None:
        """Draw the pre- and post-roll while the loop is on (nothing when a roll is 0 s)."""
        span, region = self.player.loop_span(), self.player.region
        on = bool(self.player.loop_enabled) and span is not None and region is not None
        spans = [(span[0], region[0]), (region[1], span[1])] if on else []
        for item, part in zip(self.rolls, spans or [None, None], strict=True):
            shown = part is not None and part[1] - part[0] > 1e-6
            if shown:
                item.setRegion(part)
            item.setVisible(shown)

    def _on_loop(self, on: bool) -> None:
        self._show_rolls()
        self.bar.show_loop(on)
        action = self.actions["loop"]
        if action.isChecked() != on:
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)

    def _on_region(self, region: Any) -> None:
        if region is None:
            self.player.set_region(self.version_region)
        else:
            self.player.set_region((region.start, region.end))
        self._show_rolls()

    def _show_output(self) -> None:
        if not self.audio_output:
            self.bar.show_output("", problem=False)  # nothing was asked of a device
        elif self.player.opening:
            self.bar.show_output("Output: opening the sound device…", problem=False)
        elif self.player.available:
            self.bar.show_output(f"Output: {self.player.output_description}", problem=False)
        else:
            reason = self.player.unavailable_reason or "no audio output"
            self.bar.show_output(f"Playback is off — {reason}. Everything else works; the "
                                 "playhead still runs.", problem=True)

    # -- readout and loudness --------------------------------------------------------------------
    def _on_readout(self, item: VersionReadout) -> None:
        if item.name not in self.versions:
            return
        self.readouts[item.name] = item
        self._draw_marks(item.name)
        self._show_readout()
        if self.loudness_match:
            self._apply_loudness()

    def _show_readout(self) -> None:
        if self.blind:
            self.table.set_hidden("Hidden in blind mode: pick a version to reveal.")
            return
        self.table.set_hidden(None)
        self.table.clear()
        for name in sorted(self.readouts):
            self.table.show_item(self._label(name), self.readouts[name],
                                 self.keep_texts.get(int(name[1:])) if name[1:].isdigit()
                                 else None)

    def set_loudness_match(self, on: bool) -> None:
        self.loudness_match = bool(on)
        for widget in (self.bar.loudness_box, self.actions["loudness"]):
            if widget.isChecked() != self.loudness_match:
                widget.blockSignals(True)
                widget.setChecked(self.loudness_match)
                widget.blockSignals(False)
        if self.loudness_match:
            self._apply_loudness()
        else:
            self.player.clear_gains()
            self.bar.gain_label.setText("")

    def _apply_loudness(self) -> None:
        gains = {n: r.match_gain_db for n, r in self.readouts.items() if n in self.versions}
        if not gains:
            self.bar.gain_label.setText("measuring…" if self.versions else "no versions loaded")
            return
        self.player.set_gains_db(gains)
        self.bar.gain_label.setText("  ".join(
            f"{self._label(n)} {gains[n]:+.1f} dB" for n in self._lane_order() if n in gains))

    # -- blind comparison -------------------------------------------------------------------------
    def set_blind(self, on: bool) -> None:
        on = bool(on) and len(self.versions) >= 2
        if on == self.blind:
            self._sync_blind_widgets()
            if not on and len(self.versions) < 2:
                self.window.status("Blind comparison needs two versions.")
            return
        self.blind = on
        if on:
            self.picked = None
            self.blind_order = random.sample(sorted(self.versions), len(self.versions))
        self._sync_blind_widgets()
        self._build_lanes()
        self._show_sources()
        self._show_readout()
        if self.loudness_match:
            self._apply_loudness()
        if on:
            self.window.status("Blind: the versions are Version A and Version B in a random "
                               "order. Pick the one you prefer to reveal which is which.")
        else:
            self.blind_order = []

    def _sync_blind_widgets(self) -> None:
        for widget in (self.bar.blind_box, self.actions["blind"]):
            if widget.isChecked() != self.blind:
                widget.blockSignals(True)
                widget.setChecked(self.blind)
                widget.blockSignals(False)
        self.bar.pick_button.setVisible(self.blind)

    def pick(self) -> str | None:
        """Pick the version heard now and reveal the order; returns a sentence saying what it
        was."""
        if not self.blind:
            return None
        heard = self.player.audible
        if heard not in self.versions:
            self.window.status("Play Version A or Version B (keys 2 and 3) and pick the one you "
                               "hear.")
            return None
        self.picked = heard
        mapping = ", ".join(f"Version {'AB'[i]} was {NAMES[n]}" for i, n in
                            enumerate(self.blind_order))
        message = f"You picked {self._label(heard)}, which is {NAMES[heard]}. ({mapping}.)"
        self.set_blind(False)
        self.window.status(message, 15000)
        return message

