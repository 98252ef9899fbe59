"""The job controller: runs the headless job lifecycle in `Worker`s and tells the widgets.

It owns no job state of its own: the job store is the truth, and every signal carries a fresh
snapshot (`Job`). One worker per running job; cancelling a worker only stops waiting (the API
has no cancel), marks the job paused, and `resume` picks it up where it stopped. On start,
`resume_all` continues every job that was in flight, so nothing is lost to a restart."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from inpaint_studio.backends.backend import MUSICGPT, Backends
from inpaint_studio.backends.runs import job_runner
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.core.peaks import PeakPyramid
from inpaint_studio.jobs import lifecycle
from inpaint_studio.jobs.describe import (
    describe_details,
    describe_stage,
    fmt_duration,
    fmt_time,
    stage_progress,
)
from inpaint_studio.jobs.lifecycle import JobBusy, JobEvent
from inpaint_studio.jobs.store import Job, JobStore, Stage
from inpaint_studio.services.worker import WorkContext, Worker, WorkerPool

log = logging.getLogger(__name__)

# Re-exported for the widgets, which reach the job model only through the services.
__all__ = ["JobController", "Job", "JobStore", "Stage", "describe_details", "describe_stage",
           "fmt_duration", "fmt_time", "stage_progress"]

# Writes the song as it now is (after kept edits) to the given path, in a worker.
UploadWriter = Callable[[Path, CancelToken], None]


class JobController(QObject):
    """Submits, follows, cancels, resumes and retries jobs; signals arrive on the GUI thread."""

    job_changed = Signal(object)  # Job: a persisted change (stage, ids, results, message)
    job_progress = Signal(str, str, int, int, int)  # job id, "upload"|"download", done, total, n
    job_note = Signal(str, str)  # job id, a passing remark (e.g. "retrying after a 503")
    job_added = Signal(object)  # Job
    job_removed = Signal(str)
    versions_ready = Signal(str, object)  # job id, list[tuple[int, Audio]] on the song's timeline
    running_changed = Signal(str, bool)  # job id, whether a worker is running it
    job_stopped = Signal(str, str)  # job id, why its run stopped before the job ended

    def __init__(self, store: JobStore, backends: Backends, pool: WorkerPool, cache_dir: Path,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.backends = backends
        self.pool = pool
        self.cache_dir = Path(cache_dir)
        self._workers: dict[str, Worker] = {}
        self._references: dict[str, Audio] = {}
        self._versions: dict[str, dict[int, Audio]] = {}
        self._peaks: dict[tuple[str, int], PeakPyramid] = {}
        # jobs whose upload (the song as edited) is still to be written → the writer, so that
        # Resume or Retry after a cancelled or failed write can write it
        self._writers: dict[str, UploadWriter] = {}

    # -- reading -------------------------------------------------------------------------------
    def jobs(self, source: str | None = None) -> list[Job]:
        return self.store.list(source=source)

    def job(self, job_id: str) -> Job:
        return self.store.get(job_id)

    def is_running(self, job_id: str) -> bool:
        worker = self._workers.get(job_id)
        return worker is not None and not worker.done.is_set()

    # -- submitting ----------------------------------------------------------------------------
    def submit(self, fields: dict[str, Any], *, source: str, start: float, end: float,
               upload_path: str | None = None, audio_url: str | None = None,
               write_upload: UploadWriter | None = None, reference: Audio | None = None,
               kind: str | None = None) -> Job:
        """Persist a job (before anything is sent), then send and follow it in a worker.

        `upload_path` is the file to upload; with `write_upload` the song as edited is first
        written to a new file in the cache, and that is uploaded. `audio_url` sends the address
        instead of a file. `reference` (the audio on screen) saves decoding it for alignment."""
        kind = kind or self.backends.active_kind()
        if write_upload is not None:
            upload_path = str(self.cache_dir / "uploads" / f"{uuid.uuid4().hex}.flac")
        params = {k: v for k, v in fields.items() if v not in (None, "")}
        job = self.store.create(
            backend=kind, base_url=self.backends.base_url(kind) if kind == MUSICGPT else "local",
            source=source, upload_path="" if audio_url else (upload_path or ""), start=start,
            end=end, params=params)
        if reference is not None:
            self._references[job.id] = reference
        if write_upload is not None:
            self._writers[job.id] = write_upload
        self.job_added.emit(job)
        self._start(job.id, write_upload)
        return job

    # -- following -----------------------------------------------------------------------------
    def resume_all(self) -> list[str]:
        """Continue every job that was in flight when the app last stopped."""
        started = []
        for job in self.store.list():
            if job.runnable or job.stage is Stage.SUBMITTING:
                if self._start(job.id):
                    started.append(job.id)
        return started

    def resume(self, job_id: str) -> None:
        """Continue a job the user had cancelled (or one that lost contact)."""
        job = self.store.get(job_id)
        if job.paused:
            job = self.store.update(job_id, paused=False)
        if job.stage is Stage.FAILED and job.task_id:
            job = lifecycle.check_again(self.store, job_id)
        self.job_changed.emit(job)
        self._start(job_id)

    def cancel(self, job_id: str) -> None:
        """Stop waiting for the job (the server's work goes on); it can be resumed."""
        job = self.store.get(job_id)
        if job.stage.in_flight or job.stage is Stage.SUBMITTING:
            job = self.store.update(job_id, paused=True)
        worker = self._workers.get(job_id)
        if worker is not None:
            worker.cancel()
        self.job_changed.emit(job)

    def retry(self, job_id: str) -> None:
        """Send a failed or unknown-outcome job again; the GUI has asked the user to confirm
        (it may be charged twice)."""
        job = lifecycle.reset_for_retry(self.store, job_id)
        self.job_changed.emit(job)
        self._start(job_id)

    def attach_task(self, job_id: str, task_id: str) -> None:
        """The user found the task of an unknown-outcome job: follow that task."""
        job = lifecycle.attach_task(self.store, job_id, task_id)
        self.job_changed.emit(job)
        self._start(job_id)

    def remove(self, job_id: str) -> None:
        if job_id in self._workers:
            self.cancel(job_id)
        self.store.delete(job_id)
        self._versions.pop(job_id, None)
        self.job_removed.emit(job_id)

    def load_versions(self, job_id: str, reference: Audio | None = None) -> Worker:
        """Decode a finished job's versions onto the song's timeline (in a worker); ends in
        `versions_ready`."""
        job = self.store.get(job_id)
        ref = reference if reference is not None else self._references.get(job_id)
        worker = Worker(_load_versions, job, ref, self._peaks, name=f"versions {job_id[:8]}")
        worker.returned.connect(lambda versions, j=job_id: self._versions_loaded(j, versions))
        worker.errored.connect(lambda exc, j=job_id: self.job_note.emit(
            j, f"The versions could not be opened: {exc}"))
        return self.pool.start(worker)

    def peaks(self, job_id: str, index: int) -> PeakPyramid | None:
        """The waveform summary of a version delivered by `versions_ready` (built off the GUI
        thread), or None."""
        return self._peaks.get((job_id, index))

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """On quit: stop waiting for every job (they stay resumable, not paused)."""
        for worker in list(self._workers.values()):
            worker.cancel()
        for worker in list(self._workers.values()):
            worker.done.wait(timeout_ms / 1000)
        self.backends.stop()

    # -- workers -------------------------------------------------------------------------------
    def _start(self, job_id: str, write_upload: UploadWriter | None = None) -> bool:
        if self.is_running(job_id):
            return False
        write_upload = write_upload or self._writers.get(job_id)
        self._versions.pop(job_id, None)
        worker = Worker(self._run, job_id, write_upload, name=f"job {job_id[:8]}")
        worker.partial.connect(self._on_event)
        worker.errored.connect(lambda exc, j=job_id: self._on_error(j, exc))
        worker.cancelled.connect(lambda j=job_id: self.job_changed.emit(self.store.get(j)))
        worker.finished.connect(lambda j=job_id, w=worker: self._on_finished(j, w))
        self._workers[job_id] = worker
        self.running_changed.emit(job_id, True)
        self.pool.start(worker)
        return True

    def _run(self, ctx: WorkContext, job_id: str, write_upload: UploadWriter | None) -> Any:
        """Worker body: (write the edited song,) then advance the job, relaying every event."""
        job = self.store.get(job_id)
        upload = Path(job.upload_path) if job.upload_path else None
        if job.stage is Stage.CREATED and upload is not None and not upload.is_file():
            if write_upload is not None:
                try:
                    write_upload(upload, ctx.token)  # atomic: a stopped write leaves no file
                except Exception as exc:
                    if not getattr(exc, "nothing_sent", False):
                        raise
                    # e.g. the song was edited after Submit: this job cannot be sent as it was
                    self._writers.pop(job_id, None)
                    return self._fail_unsent(ctx, job_id, type(exc).__name__, str(exc))
                self._writers.pop(job_id, None)
            elif upload.parent == self.cache_dir / "uploads":
                return self._fail_unsent(
                    ctx, job_id, "UploadMissing", "The app stopped before the edited song was "
                    "written for this job, so nothing was sent. Select the region and submit it "
                    "again.")
        job = self.store.get(job_id)
        if job.stage is Stage.CREATED and job.upload_path:
            refused = self._preflight(ctx, job)
            if refused is not None:
                return refused
            job = self.store.get(job_id)
        runner = job_runner(self.store, self.backends, job, self.cache_dir,
                            reference=self._reference, on_progress=ctx.emit)
        gen = runner.run(job_id, ctx.token)
        try:
            while True:
                event = next(gen)
                if event.kind == "version" and event.audio is not None:
                    # The waveform summary of a long version is built here, not on the GUI
                    # thread that draws its lane.
                    self._peaks[(job_id, event.index)] = _peaks(event.audio)
                yield event
        except StopIteration as stop:
            if stop.value is not None and stop.value.stage is Stage.DONE:
                self._drop_upload_copy(stop.value)  # here, not on the GUI thread
            return stop.value

    def _preflight(self, ctx: WorkContext, job: Job) -> Job | None:
        """Worker: the checks `submit` makes, before anything is uploaded — the song must decode
        to its end and fit the limits of the job's backend (the local server's own config); a
        song of more than two channels is sent as a stereo down-mix (a note says so). Returns
        the job ended FAILED (nothing sent, the message naming the backend), or None to go on."""
        from inpaint_studio.backends.preflight import preflight

        limits = self.backends.preflight_limits(job.backend)
        prepared = preflight(job.upload_path, job.backend, job.start, job.end,
                             self.cache_dir / "uploads", limits)
        if not prepared.ok:
            return self._fail_unsent(ctx, job.id, "Refused",
                                     " ".join(prepared.problems) + " Nothing was sent.")
        if prepared.upload_path != job.upload_path:
            job = self.store.update(job.id, upload_path=prepared.upload_path)
        for note in prepared.notes:
            ctx.emit(JobEvent(job, kind="note", note=note))
        return None

    def _reference(self, job: Job) -> Audio | None:
        ref = self._references.get(job.id)
        return ref if ref is not None else lifecycle.load_reference(job)

    def _on_event(self, event: JobEvent) -> None:
        job = event.job
        if event.kind in ("upload", "download"):
            self.job_progress.emit(job.id, event.kind, event.done, event.total, event.index)
        elif event.kind in ("retry", "note"):
            self.job_note.emit(job.id, event.note)
            self.job_changed.emit(job)
        elif event.kind == "version" and event.audio is not None:
            self._versions.setdefault(job.id, {})[event.index] = event.audio
        else:
            self.job_changed.emit(job)
            if job.stage is Stage.DONE and self._versions.get(job.id):
                got = sorted(self._versions.pop(job.id).items())
                self.versions_ready.emit(job.id, got)

    def _fail_unsent(self, ctx: WorkContext, job_id: str, kind: str, message: str) -> Job:
        """Worker: a job that was never sent and cannot be as it stands ends FAILED, saying so."""
        job = self.store.transition(job_id, [Stage.CREATED], Stage.FAILED, error_kind=kind,
                                    message=message)
        ctx.emit(JobEvent(job))
        return job

    def _drop_upload_copy(self, job: Job) -> None:
        """Worker: a finished job's copy of the edited song (written for its upload) is not
        needed any more; a failed one keeps it for Retry."""
        upload = Path(job.upload_path) if job.upload_path else None
        if upload is not None and upload.parent == self.cache_dir / "uploads":
            try:
                upload.unlink(missing_ok=True)
            except OSError as exc:
                log.info("could not remove %s: %s", upload, exc)

    def _on_error(self, job_id: str, exc: BaseException) -> None:
        if isinstance(exc, JobBusy):
            self.job_note.emit(job_id, str(exc))
            return
        text = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
        job = self.store.get(job_id)
        if job.stage.in_flight and not job.error_kind:
            job = self.store.update(job_id, message=text, error_kind=type(exc).__name__)
        self.job_note.emit(job_id, text)
        self.job_stopped.emit(job_id, text)
        self.job_changed.emit(job)

    def _on_finished(self, job_id: str, worker: Worker) -> None:
        if self._workers.get(job_id) is worker:  # not a newer run of the same job
            del self._workers[job_id]
            self.running_changed.emit(job_id, False)

    def _versions_loaded(self, job_id: str, versions: list[tuple[int, Audio]]) -> None:
        self.versions_ready.emit(job_id, versions)


def _peaks(audio: Audio) -> PeakPyramid:
    return PeakPyramid.from_samples(audio.samples, audio.sample_rate)


def _load_versions(ctx: WorkContext, job: Job, reference: Audio | None,
                   peaks: dict[tuple[str, int], PeakPyramid]) -> list[tuple[int, Audio]]:
    """Worker body: each downloaded version, decoded and moved onto the original's timeline."""
    from inpaint_studio.core.align import Alignment, apply_alignment
    from inpaint_studio.core.decode import load_audio

    length = reference.frames if reference is not None else None
    channels = reference.channels if reference is not None else None
    out = []
    for res in job.results:
        ctx.token.raise_if_cancelled()
        if not res.path or not Path(res.path).is_file():
            continue
        audio = load_audio(res.path, token=ctx.token)
        if res.aligned:
            a = Alignment(int(res.aligned["offset"]), int(res.aligned["sample_rate"]),
                          float(res.aligned["confidence"]))
            audio = apply_alignment(audio, a, length or audio.frames, channels)
        peaks[(job.id, res.index)] = _peaks(audio)
        out.append((res.index, audio))
    return out
