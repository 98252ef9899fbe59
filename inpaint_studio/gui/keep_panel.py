"""The keep feature: keeping, history, export and projects in the main window.

It adds Edit ▸ Keep Version 1/2, Undo (Ctrl+Z), Redo (Ctrl+Shift+Z); a Keep dock (keep buttons,
crossfade in ms, audition, export progress, each version's played part as MIDI) and a History
dock; File ▸ Open Project…, Recent Projects, Save Project (Ctrl+S), Save Project As…, Export…
(Ctrl+E), Export Version 1's/2's Part as MIDI… (Ctrl+Alt+1/2: the MIDI file the local session
player wrote for that version, copied whole). The composition root
(app.py) builds it from the edit session, exporter, project service and player, and links the
jobs feature's shown versions to `offer_versions`; `offer(index, aligned_audio, region)` offers
one version directly."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inpaint_studio.backends.backend import LOCAL
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.history import KeepEdit, RegionEdit, span_text
from inpaint_studio.core.timefmt import format_time
from inpaint_studio.gui.export_dialog import ExportChoice, ExportDialog
from inpaint_studio.gui.history_view import HistoryView
from inpaint_studio.gui.main_window import MainWindow
from inpaint_studio.gui.project_actions import ProjectActions, quit_action
from inpaint_studio.services import prompt_plan
from inpaint_studio.services.edit_session import EditSession
from inpaint_studio.services.exporter import Exporter
from inpaint_studio.services.job_controller import Job
from inpaint_studio.services.player import Player
from inpaint_studio.services.project_service import ProjectService

log = logging.getLogger(__name__)
PROJECT_FILTER = "Inpaint Studio projects (*.inpaint);;All files (*)"
MIDI_FILTER = "MIDI files (*.mid *.midi);;All files (*)"
VERSIONS = (1, 2)


class KeepPanel(QWidget):
    """Keep buttons, the crossfade and export progress; holds no logic of its own."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keep_buttons = {i: QPushButton(f"Keep Version {i}") for i in VERSIONS}
        self.crossfade = QDoubleSpinBox()
        self.crossfade.setObjectName("crossfade-ms")
        self.crossfade.setRange(0.0, 1000.0)
        self.crossfade.setDecimals(0)
        self.crossfade.setSingleStep(5.0)
        self.crossfade.setSuffix(" ms")
        self.crossfade.setKeyboardTracking(False)  # change once typing is done, not per digit
        self.crossfade.setToolTip("Equal-power crossfade centred on each seam. Changing it also "
                                  "re-splices the latest kept version, then plays its seam.")
        self.audition = QPushButton("Audition seam")
        # each version's played part (local session player) as a MIDI file
        self.midi_buttons = {i: QPushButton(f"Version {i}…") for i in VERSIONS}
        self.state = QLabel("No versions to keep yet.")
        self.state.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.cancel_export = QPushButton("Cancel export")
        for w in (self.progress, self.cancel_export):
            w.setVisible(False)
        buttons = QHBoxLayout()
        for b in self.keep_buttons.values():
            buttons.addWidget(b)
        form = QFormLayout()
        fade = QHBoxLayout()
        fade.addWidget(self.crossfade, 1)
        fade.addWidget(self.audition)
        form.addRow("Crossfade", fade)
        midi = QHBoxLayout()
        for b in self.midi_buttons.values():
            midi.addWidget(b)
        form.addRow("Part as MIDI", midi)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(self.state)
        export = QHBoxLayout()
        export.addWidget(self.progress, 1)
        export.addWidget(self.cancel_export)
        layout.addLayout(export)
        layout.addStretch(1)


class KeepFeature(QObject):
    """The installed feature: keeping, history, crossfade, audition and export; `project` holds
    the project actions (`ProjectActions`).

    `spans_changed({index: text})` says, for each version, the one span a keep of it replaces
    ("Keeps 2:33.266–2:42.826") or replaced ("Kept …"), the very text the status bar, History and
    this panel show; `song_named(name, kept)` names the song as it stands ("Original" until a
    keep, then "Edited") and the version whose keep is the latest applied (0: none). The
    composition root links both to the compare feature."""

    spans_changed = Signal(object)  # dict[int, str]
    song_named = Signal(str, int)

    def __init__(self, window: MainWindow, session: EditSession, exporter: Exporter,
                 projects: ProjectService, player: Player | None = None) -> None:
        super().__init__(window)
        self.window, self.session, self.exporter = window, session, exporter
        self.projects, self.player = projects, player
        self._left_next = True  # which seam "Audition seam" plays next
        self._spans_sent: dict[int, str] | None = None
        self._named_sent: tuple[str, int] | None = None
        self.shown_job: Job | None = None  # the job whose versions are offered
        self.panel = KeepPanel()
        self.history = HistoryView(session)
        self.panel.crossfade.setValue(float(window.settings.get("keep/crossfade_ms")))
        session.crossfade_s = self.panel.crossfade.value() / 1000.0
        window.add_dock(self.panel, "Keep")
        window.add_dock(self.history, "History")
        self.project = ProjectActions(window, projects, self.shutdown)
        self._build_actions()
        self._connect()
        self.update_actions()

    # -- building ------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        w, reg = self.window, self.window.shortcuts.register
        edit = w.menu("Edit")
        first = edit.actions()[0] if edit.actions() else None
        self.undo_action = QAction("&Undo", w)
        self.redo_action = QAction("&Redo", w)
        edit.insertAction(first, self.undo_action)
        edit.insertAction(first, self.redo_action)
        edit.insertSeparator(first)
        reg(QKeySequence.StandardKey.Undo, "Undo", self.undo_action)
        reg("Ctrl+Shift+Z", "Redo", self.redo_action)
        self.keep_actions: dict[int, QAction] = {}
        for i in VERSIONS:
            action = edit.addAction(f"&Keep Version {i}")
            action.triggered.connect(lambda _c=False, n=i: self.keep(n))
            reg(f"Alt+{i}", f"Keep Version {i} in the region", action)
            self.keep_actions[i] = action
        file_menu = w.menu("File")
        self.export_action = QAction("&Export…", w)
        file_menu.insertAction(quit_action(file_menu), self.export_action)
        reg("Ctrl+E", "Export the song", self.export_action)
        # in the File menu itself (not a submenu): Help ▸ Keyboard shortcuts groups by menu
        self.midi_actions: dict[int, QAction] = {}
        for i in VERSIONS:
            action = QAction(f"Export Version {i}'s Part as &MIDI…", w)
            file_menu.insertAction(quit_action(file_menu), action)
            action.triggered.connect(lambda _c=False, n=i: self.export_part_midi(n))
            reg(f"Ctrl+Alt+{i}", f"Export Version {i}'s played part as MIDI", action)
            self.midi_actions[i] = action

    def _connect(self) -> None:
        s, p, w, panel = self.session, self.projects, self.window, self.panel
        self.undo_action.triggered.connect(s.undo)
        self.redo_action.triggered.connect(s.redo)
        for i, button in panel.keep_buttons.items():
            button.clicked.connect(lambda _c=False, n=i: self.keep(n))
        for i, button in panel.midi_buttons.items():
            button.clicked.connect(lambda _c=False, n=i: self.export_part_midi(n))
        panel.crossfade.valueChanged.connect(self._crossfade_changed)
        panel.audition.clicked.connect(self.audition_latest)
        panel.cancel_export.clicked.connect(self.exporter.cancel)
        self.history.jump_requested.connect(self.jump)
        for signal in (s.history_changed, s.offers_changed, w.region.changed, w.document.changed,
                       p.dirty_changed):
            signal.connect(lambda *_: self.update_actions())
        s.busy_changed.connect(lambda _b: self.update_actions())
        s.failed.connect(w.report_error)
        s.audition_requested.connect(self.audition)
        s.done.connect(self._done)
        p.opened.connect(self._project_opened)
        self.export_action.triggered.connect(self.export_dialog)
        e = self.exporter
        e.started.connect(lambda _t: self._exporting(True))
        e.progressed.connect(lambda f: panel.progress.setValue(int(f * 1000)))
        e.finished.connect(lambda path: (self._exporting(False),
                                         w.status(f"Exported {path}")))
        e.failed.connect(lambda msg: (self._exporting(False), w.report_error("Export failed",
                                                                             msg)))
        e.cancelled.connect(lambda: (self._exporting(False),
                                     w.status("Export cancelled; nothing was written.")))

    # -- offers and keeping --------------------------------------------------------------------
    def offer(self, version_index: int, aligned_audio: Audio, region: tuple[float, float],
              source: dict[str, Any] | None = None) -> None:
        """Offer a version for keeping: `aligned_audio` is on the song's timeline (same rate and
        channels, or it is converted), made for `region` (seconds)."""
        self.session.offer(version_index, aligned_audio, region, source)

    def offer_versions(self, job: Job, versions: list[tuple[int, Audio]],
                       _peaks: object = None) -> None:
        """Offer a job's versions (on the song's timeline) in place of the ones offered so far."""
        self.shown_job = job
        self.session.clear_offers()
        for index, audio in versions:
            self.offer(index, audio, (job.start, job.end),
                       {"job": job.id, "task_id": job.task_id,
                        "prompt": job.prompt})

    def keep(self, version_index: int) -> bool:
        if not self.session.keep(version_index):
            self.window.status(f"Version {version_index} cannot be kept here: select a region "
                               "inside the region it was made for.")
            return False
        return True

    def jump(self, position: int) -> None:
        """Undo or redo until the history stands at `position`."""
        self.session.jump(position)

    def _crossfade_changed(self, ms: float) -> None:
        self.window.settings.set("keep/crossfade_ms", float(ms))
        self.session.set_crossfade_ms(ms)

    def audition_latest(self) -> None:
        edit = self.session.latest_keep()
        if edit is None or self.window.document.audio is None:
            self.window.status("Keep a version first; then its seams can be auditioned.")
            return
        # Left seam, then the right one on the next click, and so on.
        left = self._left_next or edit.plan.end <= edit.plan.start
        self._left_next = not left
        frame = edit.plan.start if left else edit.plan.end
        seam = frame / self.window.document.audio.sample_rate
        self.window.status(f"Playing across the {'left' if left else 'right'} seam of the kept "
                           "version (click again for the other one).")
        self.audition(max(0.0, seam - 1.5), seam + 1.5)

    def audition(self, start: float, end: float) -> None:
        """Play across a seam through the player; without one, put the playhead just before
        it."""
        player = self.player
        if player is None:
            self.window.playhead.seek(start)
            self.window.status(f"Playhead at {format_time(start)}, 1.5 s before the seam: "
                               "play to hear the crossfade.")
            return
        if not player.preparing:
            player.play_range(start, end)
            return
        # The player is still preparing the edited song: play once it has it (or after a
        # moment, should that signal not come).
        done = []

        def go(*_: object) -> None:
            if not done:
                done.append(True)
                player.sources_changed.disconnect(go)
                player.play_range(start, end)

        player.sources_changed.connect(go)
        QTimer.singleShot(1500, go)

    def _done(self, name: str, edit: object) -> None:
        """Say what the edit just done did; it replaces whatever the status bar said before."""
        kept = edit if isinstance(edit, KeepEdit) else None
        label = edit.label if isinstance(edit, KeepEdit | RegionEdit) else ""
        if name == "keep" and kept is not None:
            text = (f"Kept {kept.name}: replaced {kept.span_text}; everything else is "
                    "untouched. You now hear the edited song.")
        elif name in ("undo", "redo") and label:
            text = f"{'Undone' if name == 'undo' else 'Redone'}: {label}."
        elif name == "jump":
            entries = self.session.entries()
            position = self.session.position
            text = ("History: back to the song as opened." if position == 0
                    else f"History: at {entries[position - 1].label}.")
        elif name == "crossfade" and (latest := self.session.latest_keep()) is not None:
            text = f"Crossfade of {latest.name} now {latest.crossfade_s * 1000:.0f} ms."
        else:
            return
        self.window.status(text, 10000)

    def song_name(self) -> str:
        """The song as it stands: "Original" as opened, "Edited" once a keep is applied."""
        return "Edited" if self.session.is_edited() else "Original"

    def update_actions(self) -> None:
        s, w = self.session, self.window
        ready = w.document.state == "ready" and s.stack is not None
        for i in VERSIONS:
            region = s.keep_region(i)
            enabled = ready and region is not None
            self.keep_actions[i].setEnabled(enabled)
            self.panel.keep_buttons[i].setEnabled(enabled)
        self.undo_action.setEnabled(ready and s.can_undo())
        self.redo_action.setEnabled(ready and s.can_redo())
        entries = s.entries()
        if s.can_undo():
            self.undo_action.setText(f"&Undo {entries[s.position - 1].label}")
        else:
            self.undo_action.setText("&Undo")
        self.redo_action.setText(f"&Redo {entries[s.position].label}" if s.can_redo()
                                 else "&Redo")
        self.export_action.setEnabled(ready and not self.exporter.busy)
        for i in VERSIONS:
            problem = self.part_problem(i)
            enabled = problem is None and not self.exporter.busy
            tip = problem or f"Save Version {i}'s played part as a MIDI file, for a DAW."
            for widget in (self.midi_actions[i], self.panel.midi_buttons[i]):
                widget.setEnabled(enabled)
                widget.setToolTip(tip)
            self.midi_actions[i].setStatusTip(tip)
        latest = s.latest_keep()
        spans = s.keep_spans()
        lines = []
        if latest is not None:
            lines.append(f"Kept {latest.name} ({latest.span_text}).")
        if spans:
            names = ", ".join(f"Version {i} ({span_text(span)})" for i, span in spans.items())
            lines.append(f"Can keep: {names}.")
        elif s.offers:
            made = sorted({o.region for o in s.offers.values()})
            where = ", ".join(span_text(r) for r in made)
            lines.append(f"The versions were made for {where}: select that region (or a part "
                         "of it) to keep one.")
        elif latest is None:
            lines.append("No versions to keep yet: they appear here when a job's versions are "
                         "shown.")
        text = " ".join(lines)
        if s.busy:
            text += " Working…"
        self.panel.state.setText(text)
        kept_index = int(latest.source.get("version", 0)) if latest is not None else 0
        texts = {i: f"Keeps {span_text(span)}" for i, span in spans.items()}
        if latest is not None and kept_index:
            texts[kept_index] = f"Kept {latest.span_text}"
        if texts != self._spans_sent:
            self._spans_sent = texts
            self.spans_changed.emit(dict(texts))
        named = (self.song_name(), kept_index)
        if named != self._named_sent:
            self._named_sent = named
            self.song_named.emit(*named)

    # -- export --------------------------------------------------------------------------------
    def export_dialog(self) -> ExportDialog | None:
        w = self.window
        if w.document.audio is None:
            return None
        region = w.region.region
        start_dir = w.settings.get("export/last_dir") or os.path.dirname(w.document.path or "")
        title = Path(w.document.path or "song").stem + " (edited)"
        versions = {i: o.region for i, o in self.session.offers.items()}
        dialog = ExportDialog(title, start_dir, (region.start, region.end) if region else None,
                              w, versions)
        dialog.accepted.connect(lambda: self.start_export(dialog.choice()))
        self.dialog = dialog
        dialog.open()
        return dialog

    def start_export(self, choice: ExportChoice) -> bool:
        w = self.window
        audio = w.document.audio
        if audio is None:
            return False
        target = os.path.abspath(choice.target)
        if self._is_the_open_song(target):
            return False
        region = w.region.region
        span = (region.start, region.end) if choice.region_only and region else None
        if choice.version is not None:  # one version's region alone, as the job returned it
            offer = self.session.offers.get(choice.version)
            if offer is None:
                w.report_error("Export failed", f"Version {choice.version} is no longer shown.")
                return False
            audio, span = offer.audio, offer.region
        w.settings.set("export/last_dir", os.path.dirname(target))
        return self.exporter.export(audio, target, choice.options, span) is not None

    # -- the played part as MIDI ---------------------------------------------------------------
    def part_problem(self, index: int) -> str | None:
        """Why Version `index` has no part to export as MIDI, in words; None when it has one
        (the local session player wrote its MIDI file and the file is there)."""
        job, offer = self.shown_job, self.session.offers.get(index)
        if job is None or offer is None or offer.source.get("job") != job.id:
            return f"Version {index} is not shown: show a finished job's versions first."
        result = job.result(index)
        if job.backend != LOCAL:
            return f"Version {index} has no played part: MusicGPT returns audio only."
        if result is None or not result.midi_path:
            found = prompt_plan.preview(job.prompt)
            if found is None or found.action == "continue":
                return (f"Version {index} has no played part: its prompt asked for none "
                        "(it was filled with the song's own material).")
            return (f"Version {index} has no played part: the local server returned no MIDI "
                    "file for it.")
        if not os.path.isfile(result.midi_path):
            return (f"Version {index}'s part is no longer on this computer (its job's files "
                    "were cleared): run the job again to get it.")
        return None

    def part_file_name(self, index: int) -> str:
        """The suggested name: "<song> – version 2 part.mid"."""
        doc = self.window.document
        song = Path(doc.path or doc.source or "song").stem or "song"
        return f"{song} – version {index} part.mid"

    def export_part_midi(self, index: int) -> QFileDialog | None:
        """Ask where to save Version `index`'s played part, then copy it there; without a part,
        say why in the status bar."""
        w = self.window
        problem = self.part_problem(index)
        if problem is not None:
            w.status(problem, 10000)
            return None
        start_dir = w.settings.get("export/last_dir") or os.path.dirname(w.document.path or "")
        dialog = QFileDialog(w, f"Export Version {index}'s part as MIDI",
                             os.path.join(start_dir, self.part_file_name(index)), MIDI_FILTER)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("mid")
        dialog.fileSelected.connect(lambda path: self.save_part_midi(index, path))
        self.midi_dialog = dialog
        dialog.open()
        return dialog

    def _is_the_open_song(self, target: str) -> bool:
        """True (and said) when `target` is the song that is open: no export writes over it."""
        w = self.window
        if w.document.path and os.path.realpath(target) == os.path.realpath(w.document.path):
            w.report_error("Export failed", "Choose another file: the song you opened is never "
                                            "overwritten.")
            return True
        return False

    def save_part_midi(self, index: int, target: str) -> bool:
        """Copy Version `index`'s part to `target` in the exporter's worker (whole or not at
        all); False when there is no part or an export is running."""
        w = self.window
        problem = self.part_problem(index)
        job = self.shown_job
        if problem is not None or job is None or (result := job.result(index)) is None:
            w.status(problem or f"Version {index} has no played part.", 10000)
            return False
        target = os.path.abspath(target)
        if self._is_the_open_song(target):
            return False
        w.settings.set("export/last_dir", os.path.dirname(target))
        if self.exporter.copy(result.midi_path, target) is None:
            w.status("An export is running; export the part when it has finished.", 10000)
            return False
        return True

    def _exporting(self, running: bool) -> None:
        self.panel.progress.setValue(0)
        self.panel.progress.setVisible(running)
        self.panel.cancel_export.setVisible(running)
        self.update_actions()

    # -- projects ------------------------------------------------------------------------------

    def _project_opened(self, _path: str) -> None:
        self.panel.crossfade.blockSignals(True)
        self.panel.crossfade.setValue(self.session.crossfade_s * 1000.0)
        self.panel.crossfade.blockSignals(False)
        self.update_actions()

    def shutdown(self) -> None:
        """A clean quit: cancel a running export and drop the autosave marker."""
        self.exporter.cancel()
        self.projects.shutdown()

