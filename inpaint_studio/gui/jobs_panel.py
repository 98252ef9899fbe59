"""The jobs feature: the job form and the job list as docks, Jobs ▸ Submit / Settings / Resume and
File ▸ Open URL. It is built by the composition root (app.py) from the job controller, key store,
backends and edit session, and continues every job that was in flight when the app last stopped.

The versions of the open song's finished jobs go out through `versions_shown` (the compare
feature draws them as lanes, the keep feature offers them); when a song is opened, its latest
finished job's versions are shown again, so nothing is lost between sessions."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog

from inpaint_studio import paths
from inpaint_studio.backends.backend import LOCAL, Backends
from inpaint_studio.backends.keystore import KeyStore
from inpaint_studio.core.audio import Audio
from inpaint_studio.gui.job_form import FormContext, JobForm
from inpaint_studio.gui.job_list import JobList
from inpaint_studio.gui.main_window import MainWindow
from inpaint_studio.gui.settings_dialog import SettingsDialog
from inpaint_studio.services import backend_settings
from inpaint_studio.services.edit_session import EditSession
from inpaint_studio.services.job_controller import Job, JobController, Stage, fmt_duration
from inpaint_studio.services.loader import fetch_song
from inpaint_studio.services.worker import Worker

log = logging.getLogger(__name__)


class JobsFeature(QObject):
    """The job form, the job list, their menus and the jobs' messages in the window."""

    # (job, [(index, audio on the song's timeline)], {index: PeakPyramid | None}): the open
    # song's job whose versions are to be heard and kept now
    versions_shown = Signal(object, object, object)

    def __init__(self, window: MainWindow, controller: JobController, keys: KeyStore,
                 backends: Backends, *, edits: EditSession, resume: bool = True,
                 start_later: bool = False) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.keys = keys
        self.backends = backends
        self.edits = edits
        self.form = JobForm()
        self.list = JobList(controller)
        window.add_dock(self.form, "Job", Qt.DockWidgetArea.RightDockWidgetArea)
        window.add_dock(self.list, "Jobs", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.shown_job: str | None = None  # the job whose versions were shown last
        # With `start_later`, whether a key exists is not asked on the GUI thread: the form
        # shows no backend until `start()` (after the first paint) has looked in a worker.
        self._key_checked = not start_later
        self._stages: dict[str, Stage] = {}  # the last stage seen of each job
        self._build_menus()
        self._connect()
        self.update_form()
        if resume and not start_later:
            # A normal start: continue the jobs in flight, and get the local backend ready
            # now rather than in the middle of the first job.
            QTimer.singleShot(0, self.controller.resume_all)
            QTimer.singleShot(0, self.prepare)

    def start(self, *, resume: bool = True) -> Worker:
        """The start-up work deferred by `start_later` (app.py calls it once the window is
        drawn): look for the API key in a worker (the keyring may be slow or ask to be
        unlocked), then show the backend and get the local one ready; continue the jobs in
        flight (`resume`)."""
        worker = self.window.workers.run(lambda ctx: self.keys.has_key(), name="look for the key")
        worker.finished.connect(self._key_found)
        if resume:
            self.controller.resume_all()
        return worker

    def _key_found(self) -> None:
        self._key_checked = True
        self.update_form()
        self.prepare()

    # -- wiring --------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        w = self.window
        jobs = w.menu("Jobs")
        self.submit_action = jobs.addAction("&Submit the region")
        self.submit_action.triggered.connect(self.form.request_submit)
        w.shortcuts.register("Ctrl+Return", "Submit the region as a job", self.submit_action)
        resume = jobs.addAction("&Resume all jobs")
        resume.triggered.connect(self.controller.resume_all)
        jobs.addSeparator()
        settings = jobs.addAction("Backend &settings…")
        settings.triggered.connect(self.open_settings)
        file_menu = w.menu("File")
        self.open_url_action = QAction("Open &URL…", w)
        # with the other ways to open, just after Open Recent (so above Quit, not below it)
        entries = file_menu.actions()
        after = next((i + 1 for i, a in enumerate(entries)
                      if a.text().replace("&", "") == "Open Recent"), len(entries))
        file_menu.insertAction(entries[after] if after < len(entries) else None,
                               self.open_url_action)
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
        """Start the local server in a worker when it is the backend (so that the first job
        does not wait for it)."""
        if self.backends.active_kind() != LOCAL:
            return None
        worker = self.window.workers.run(lambda ctx: self.backends.local_server(),
                                         name="start local server")
        worker.errored.connect(lambda exc: self.window.report_error(
            "The local server did not start", f"{exc} Local jobs cannot run until it does; "
            "the log file has the details."))
        return worker

    # -- the form ------------------------------------------------------------------------------
    def source(self) -> tuple[str, str]:
        """(the song's identity for jobs — address or path —, the local file to upload)."""
        doc = self.window.document
        return doc.source, doc.path or ""

    def update_form(self) -> None:
        doc, region = self.window.document, self.window.region.region
        source, upload = self.source()
        ready = doc.state == "ready"
        self.form.set_context(FormContext(
            source=source if ready else "", upload_path=upload if ready else "",
            duration=doc.duration if ready else None,
            region=(region.start, region.end) if region is not None else None,
            kind=self._kind(), plan=self.backends.settings.plan,
            edited=self.edits.is_edited(), limits=self.backends.limits(self.window.region.limits)))

    def _kind(self) -> str:
        """The backend new jobs go to, or "" while that waits for the key to be looked up."""
        if self._key_checked:
            return self.backends.active_kind()
        return self.backends.active_kind_if_known() or ""

    def _doc_loaded(self) -> None:
        self.shown_job = None
        self.restore_fields()
        self.update_form()
        self.show_latest_for_song()

    def restore_fields(self) -> Job | None:
        """A song (or a project) opened again: its latest job's prompt and fields go back in
        the form, as the musician left them."""
        source, _ = self.source()
        jobs = self.controller.jobs(source=source) if source else []
        if not jobs:
            return None
        latest = max(jobs, key=lambda j: j.created_at)
        self.form.set_fields(latest.params)
        return latest

    def restore_project_fields(self, project_jobs: list[dict]) -> bool:
        """A project opened whose jobs this computer's job store does not know (it was made
        elsewhere): the form takes its latest job's fields from the project file."""
        source, _ = self.source()
        if not project_jobs or (source and self.controller.jobs(source=source)):
            return False
        latest = max(project_jobs, key=lambda j: float(j.get("created_at") or 0.0))
        params = latest.get("params")
        if not isinstance(params, dict):
            return False
        self.form.set_fields(params)
        return True

    def _doc_changed(self) -> None:
        if self.window.document.state != "ready":
            self.shown_job = None
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
        # the song as it stands at Submit, written later in the job's worker
        write = self.edits.upload_writer() if self.edits.is_edited() else None
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
            # In words: no raw task id (the job list's context menu copies it) and no bare
            # number for the cost; the local backend costs nothing, so it says nothing of it.
            where = "on this computer" if job.backend == LOCAL else "by MusicGPT"
            eta = f"; ready in about {fmt_duration(job.eta)}" if job.eta else ""
            cost = (f"; MusicGPT estimates it at {job.credit_estimate:g} credits"
                    if job.credit_estimate is not None and job.backend != LOCAL else "")
            self.window.status(f"Job accepted {where}{eta}{cost}.")
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
        self.shown_job = job_id
        peaks = {i: self.controller.peaks(job_id, i) for i, _ in versions}
        self.versions_shown.emit(job, versions, peaks)

    # -- dialogs -------------------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.window.settings, self.keys, self.backends,
                                self.window.workers, self.window)
        dialog.saved.connect(self.update_form)
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
        if not w.confirm_open(lambda: self.open_url(url)):
            return None
        w.status(f"Fetching {url}…")
        worker = w.workers.run(fetch_song, url, paths.cache_dir(), name="open url")
        worker.returned.connect(lambda path: self._url_fetched(url, path))
        worker.errored.connect(lambda exc: w.report_error("Could not open the address", str(exc)))
        return worker

    def _url_fetched(self, url: str, path: Path) -> None:
        self.window.document.remember_origin(path, url)
        self.window.open_file(path, confirm=False)  # asked before fetching

