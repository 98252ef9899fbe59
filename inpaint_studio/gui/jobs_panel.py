"""Installs jobs into the main window (CONTRACTS §C): the job form and the job list as docks,
Jobs ▸ Submit / Settings / Resume, File ▸ Open URL, and the returned versions as lanes under the
waveform, aligned to its timeline.

`install_jobs(window)` builds what it needs (job store, key store, backends, controller) unless
given them, and continues every job that was in flight when the app last stopped. When a song is
opened, its latest finished job's versions are drawn again, so nothing is lost between sessions."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer
from PySide6.QtWidgets import QInputDialog

from inpaint_studio import paths
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.gui.job_form import FormContext, JobForm
from inpaint_studio.gui.job_list import JobList
from inpaint_studio.gui.settings_dialog import SettingsDialog
from inpaint_studio.services import backend_settings
from inpaint_studio.backends.backend import LOCAL, Backends
from inpaint_studio.services.job_controller import Job, JobController, JobStore, Stage
from inpaint_studio.backends.keystore import KeyStore
from inpaint_studio.services.loader import fetch_song
from inpaint_studio.services.worker import Worker

log = logging.getLogger(__name__)

# (is the song edited?, write the edited song to a path) — helper E's keep feature sets this.
EditHook = tuple[Callable[[], bool], Callable[[Path, CancelToken], None]]


class JobsFeature(QObject):
    """What `install_jobs` adds; keeps the pieces alive and wires them to the window."""

    def __init__(self, window: Any, controller: JobController, keys: KeyStore,
                 backends: Backends, resume: bool = True) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.keys = keys
        self.backends = backends
        self.form = JobForm()
        self.list = JobList(controller)
        self.form_dock = window.add_dock(self.form, "Job", Qt.DockWidgetArea.RightDockWidgetArea)
        self.list_dock = window.add_dock(self.list, "Jobs",
                                         Qt.DockWidgetArea.BottomDockWidgetArea)
        self.lanes: list[Any] = []  # the lanes this feature added
        self.lanes_job: str | None = None
        self.url_of: dict[str, str] = {}  # local copy → the address it came from
        self.edit_hook: EditHook | None = None
        self._loaded_audio: Audio | None = None
        self._stages: dict[str, Stage] = {}  # the last stage seen of each job
        self.settings_dialog: SettingsDialog | None = None
        self._build_menus()
        self._connect()
        self.update_form()
        self.spare_lanes: list[Any] = []  # made ahead, so a job's end does not build widgets
        if resume:
            # A normal start: continue the jobs in flight, and get the local backend ready
            # now rather than in the middle of the first job.
            QTimer.singleShot(0, self.controller.resume_all)
            QTimer.singleShot(0, self.prepare)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- wiring --------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        w = self.window
        jobs = w.menu("Jobs")
        self.submit_action = jobs.addAction("&Submit the region")
        self.submit_action.triggered.connect(self.form._submit)
        w.shortcuts.register("Ctrl+Return", "Submit the region as a job", self.submit_action)
        resume = jobs.addAction("&Resume all jobs")
        resume.triggered.connect(self.controller.resume_all)
        jobs.addSeparator()
        settings = jobs.addAction("Backend &settings…")
        settings.triggered.connect(self.open_settings)
        self.open_url_action = w.menu("File").addAction("Open &URL…")
        self.open_url_action.triggered.connect(self._ask_url)
        w.shortcuts.register("Ctrl+Shift+O", "Open a song from an address", self.open_url_action)

    def _connect(self) -> None:
        w, c = self.window, self.controller
        doc = w.document
        doc.changed.connect(self._doc_changed)
        doc.loaded.connect(self._doc_loaded)
        w.region.changed.connect(lambda _r: self.update_form())
        self.form.submit_requested.connect(self.submit)
        c.versions_ready.connect(self._show_versions)
        c.job_changed.connect(self._job_changed)
        c.job_added.connect(self._job_changed)
        c.job_note.connect(lambda _j, text: w.status(text))
        c.job_stopped.connect(lambda _j, text: w.report_error("Job stopped", text + " It is "
                                                             "kept; use Resume to continue."))
        self.list.show_versions_requested.connect(self.show_job)
        w.settings.changed.connect(self._settings_changed)

    def prepare(self) -> Worker | None:
        """Start the local server in a worker (when it is the backend) and make the lanes ahead
        of the first result (when no compare feature draws them)."""
        if getattr(self.window, "compare", None) is None:
            while len(self.spare_lanes) < 2:
                lane = self.window.lanes.add_lane("")
                lane.setVisible(False)
                self.spare_lanes.append(lane)
            self.window.lanes.setVisible(bool(self.lanes))
        if self.backends.active_kind() != LOCAL:
            return None
        worker = self.window.workers.run(lambda ctx: self.backends.local_server(),
                                         name="start local server")
        worker.errored.connect(lambda exc: self.window.report_error(
            "The local server did not start", f"{exc} Local jobs cannot run until it does; "
            "the log file has the details."))
        return worker

    def shutdown(self) -> None:
        """Stop waiting for jobs (they resume next start) and stop the local server."""
        self.controller.shutdown()

    # -- the form ------------------------------------------------------------------------------
    def source(self) -> tuple[str, str]:
        """(the song's identity for jobs — address or path —, the local file to upload)."""
        path = self.window.document.path or ""
        return self.url_of.get(path, path), path

    def is_edited(self) -> bool:
        if self.edit_hook is not None:
            return bool(self.edit_hook[0]())
        doc = self.window.document
        return doc.audio is not None and self._loaded_audio is not None \
            and doc.audio is not self._loaded_audio

    def set_edit_hook(self, is_edited: Callable[[], bool],
                      writer: Callable[[], Callable[[Path, CancelToken], None]]) -> None:
        """For the keep feature: say whether the song has kept edits, and, at Submit, give a
        writer of the song as it then stands (it writes later, in a worker)."""
        self.edit_hook = (is_edited, writer)
        self.update_form()

    def update_form(self) -> None:
        doc, region = self.window.document, self.window.region.region
        source, upload = self.source()
        ready = doc.state == "ready"
        self.form.set_context(FormContext(
            source=source if ready else "", upload_path=upload if ready else "",
            duration=doc.duration if ready else None,
            region=(region.start, region.end) if region is not None else None,
            kind=self.backends.active_kind(), plan=self.backends.settings.plan,
            edited=self.is_edited(), limits=self.backends.limits(self.window.region.limits)))

    def _doc_loaded(self) -> None:
        self._loaded_audio = self.window.document.audio
        self.clear_lanes()
        self.update_form()
        self.show_latest_for_song()

    def _doc_changed(self) -> None:
        if self.window.document.state != "ready":
            self.clear_lanes()
        self.update_form()

    def _settings_changed(self, key: str, _value: object) -> None:
        if key.startswith("backend/"):
            self.backends.settings = backend_settings.load(self.window.settings)
            self.update_form()
        elif key.startswith("region/"):
            self.update_form()  # the region warnings changed

    # -- submitting ----------------------------------------------------------------------------
    def submit(self, fields: dict, send_url: bool) -> Job | None:
        w = self.window
        doc, region = w.document, w.region.region
        if doc.state != "ready" or region is None:
            w.report_error("Cannot submit", "Open a song and select a region first.")
            return None
        source, upload = self.source()
        edited = self.is_edited()
        write = None
        if edited:
            write = self.edit_hook[1]() if self.edit_hook is not None else _writer(doc.audio)
        job = self.controller.submit(
            fields, source=source, start=region.start, end=region.end,
            upload_path=None if send_url else upload,
            audio_url=source if send_url else None, write_upload=None if send_url else write,
            reference=doc.audio)
        self.list.select(job.id)
        w.status(f"Job saved and being sent ({job.backend} backend).")
        return job

    def _job_changed(self, job: Job) -> None:
        # Report a job's failure once, when this session sees it happen (not for old failures
        # listed at start-up).
        before = self._stages.get(job.id)
        self._stages[job.id] = job.stage
        if before is Stage.SUBMITTING and job.task_id and job.stage is not before:
            eta = f", expected in about {job.eta} s" if job.eta else ""
            cost = (f", server's estimate {job.credit_estimate:g}"
                    if job.credit_estimate is not None else "")
            self.window.status(f"Job accepted: task {job.task_id}{eta}{cost}.")
        bad = (Stage.FAILED, Stage.UNKNOWN)
        if job.stage in bad and before is not None and before not in bad:
            title = "Job failed" if job.stage is Stage.FAILED else "Job outcome unknown"
            self.window.report_error(title, job.message or "No reason was given.")

    # -- versions as lanes ---------------------------------------------------------------------
    def show_job(self, job_id: str) -> Worker | None:
        """Draw a finished job's versions under the waveform (decoded in a worker)."""
        job = self.controller.job(job_id)
        source, _ = self.source()
        if job.source != source or self.window.document.audio is None:
            self.window.status("That job belongs to another song; open it first.")
            return None
        return self.controller.load_versions(job_id, reference=self.window.document.audio)

    def show_latest_for_song(self) -> Worker | None:
        source, _ = self.source()
        done = [j for j in self.controller.jobs(source=source) if j.stage is Stage.DONE]
        return self.show_job(done[0].id) if done else None

    def _show_versions(self, job_id: str, versions: list[tuple[int, Audio]]) -> None:
        job = self.controller.job(job_id)
        source, _ = self.source()
        if job.source != source:
            return  # the user opened another song meanwhile
        self.clear_lanes()
        self.lanes_job = job_id
        compare = getattr(self.window, "compare", None)
        if compare is not None:
            # The compare panel draws its own lanes, from the summaries built off the GUI
            # thread with the versions.
            compare.set_versions(versions, job=job,
                                 peaks={i: self.controller.peaks(job_id, i) for i, _ in versions})
            return
        for index, audio in versions:
            title = f"Version {index} — {job.prompt[:60]}"
            peaks = self.controller.peaks(job_id, index)
            if self.spare_lanes:
                lane = self.spare_lanes.pop(0)
                lane.title.setText(title)
                lane.set_audio(audio, peaks)
                lane.setVisible(True)
                self.window.lanes.setVisible(True)
            else:
                lane = self.window.lanes.add_lane(title, audio, peaks)
            self.lanes.append(lane)
        self.window.status(f"{len(versions)} version(s) of job {job_id[:8]} under the song.")

    def clear_lanes(self) -> None:
        """Hide this feature's lanes, keeping the widgets for the next job's versions."""
        for lane in self.lanes:
            lane.setVisible(False)
            lane.set_audio(None)  # let the audio go
            self.spare_lanes.append(lane)
        if self.lanes:
            self.window.lanes.setVisible(any(not lane.isHidden()
                                             for lane in self.window.lanes.lanes))
        self.lanes = []
        self.lanes_job = None

    # -- dialogs -------------------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.window.settings, self.keys, self.backends,
                                self.window.workers, self.window)
        dialog.saved.connect(self.update_form)
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def _ask_url(self) -> None:
        url, ok = QInputDialog.getText(self.window, "Open a song from an address",
                                       "http(s) address of the song:")
        if ok and url.strip():
            self.open_url(url.strip())

    def open_url(self, url: str) -> Worker | None:
        """Fetch the song at `url` in a worker, then open it; jobs send the address. The
        window's before-open hooks are asked first (None when they stopped or deferred it)."""
        w = self.window
        confirm = getattr(w, "confirm_open", None)
        if confirm is not None and not confirm(lambda: self.open_url(url)):
            return None
        w.status(f"Fetching {url}…")
        worker = w.workers.run(fetch_song, url, paths.cache_dir(), name="open url")
        worker.returned.connect(lambda path: self._url_fetched(url, path))
        worker.errored.connect(lambda exc: w.report_error("Could not open the address", str(exc)))
        return worker

    def _url_fetched(self, url: str, path: Path) -> None:
        self.url_of[os.path.abspath(path)] = url
        self.window.open_file(path, confirm=False)  # asked before fetching


def _writer(audio: Audio) -> Callable[[Path, CancelToken], None]:
    """Write `audio` (the song as edited, captured at submit) as FLAC, in the worker."""
    def write(target: Path, token: CancelToken) -> None:
        from inpaint_studio.core.encode import encode_audio

        encode_audio(audio, target, token=token)

    return write


def install_jobs(window: Any, *, store: JobStore | None = None, keys: KeyStore | None = None,
                 backends: Backends | None = None, resume: bool = True,
                 cache_dir: Path | None = None, **backend_kwargs: Any) -> JobsFeature:
    """Add jobs to `window` (CONTRACTS §C). Everything is built here unless passed in (tests
    pass a store and backends with the server's fast engine)."""
    keys = keys or KeyStore()
    if backends is None:
        backends = Backends(backend_settings.load(window.settings), keys, **backend_kwargs)
    controller = JobController(store or JobStore(), backends, window.workers,
                               cache_dir or paths.cache_dir(), parent=window)
    return JobsFeature(window, controller, keys, backends, resume=resume)
