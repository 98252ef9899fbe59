"""The headless job lifecycle: persist → submit → poll → download → verify → align.

`JobLifecycle.run(job_id)` is a generator: it advances one saved job from whatever stage the store
says it is in, yields a `JobEvent` after every persisted change, and returns the final `Job`. Every
step is written to the store before the next begins, so a run killed anywhere resumes from there:

- a job in `CREATED` was never sent and is submitted;
- a job found in `SUBMITTING` (a crash during the POST) becomes `UNKNOWN`: the POST may have
  reached the server and cost money, so it is never sent again without the user's say-so —
  except on the local backend, which is sent the job's id with the submit: it is asked whether
  it holds a task for the job, which is then followed, or the job is sent again (the server
  answers a second submit of the same job with the first one's task, so nothing is doubled);
- a job with a task id is polled; results already downloaded and verified are not fetched again.

Byte progress (upload, downloads) is reported through `on_progress`, throttled, since it arises
inside blocking calls where a generator cannot yield."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inpaint_studio.api import errors as api_errors
from inpaint_studio.api.models import InpaintRequest, Task, TaskStatus
from inpaint_studio.api.names import result_filename
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, Cancelled, CancelToken
from inpaint_studio.core.system import sha256_file
from inpaint_studio.jobs.recovery import (  # noqa: F401 - re-exported: callers import them here
    attach_task,
    check_again,
    reset_for_retry,
)
from inpaint_studio.jobs.store import IN_FLIGHT, LEASE_S, JobStore, Result, Stage
from inpaint_studio.jobs.store import Job as Job

log = logging.getLogger(__name__)

POLL_DEADLINE_S = 3600.0  # past this the job is reported as not finishing (it can be re-checked)
# A run stops waiting when the task shows no progress (status, versions) for this long: three
# times the server's estimate, and at least 10 minutes. The job stays in flight: a plain
# `resume` (or Resume in the app) waits again.
STALL_ETA_FACTOR, STALL_MIN_S = 3.0, 600.0
# Failures a poll can end on although the job may be fine: the run stops and the job stays
# resumable. They were already retried by the client's retry policy (api.retry), the one
# place that retries, so nothing here polls again.
_LOST_CONTACT = (api_errors.ConnectionFailed, api_errors.ServerError, api_errors.RateLimited,
                 api_errors.BadResponse, api_errors.ApiTimeout)
_PROGRESS_EVERY_S = 0.1
LOCAL = "local"  # the backend that takes the app's job id with a submit (backends.LOCAL)


@dataclass
class JobEvent:
    """One thing that happened to a job. `kind`: "stage" (a persisted change), "upload" /
    "download" (bytes `done` of `total`, version `index`), "retry" (contact was lost after the
    retry policy gave up: the run stops, the job can be resumed; `note`), "note" (a remark to
    show, e.g. that a down-mix is sent: `note`), "version" (`audio`:
    version `index` aligned to the original's timeline)."""

    job: Job
    kind: str = "stage"
    done: int = 0
    total: int = 0
    index: int = 0
    note: str = ""
    audio: Audio | None = None


ReferenceLoader = Callable[[Job], "Audio | None"]
ProgressSink = Callable[[JobEvent], None]


def request_for(job: Job) -> InpaintRequest:
    """The InpaintRequest a job sends: its audio (file or URL), its region and its fields."""
    is_url = not job.upload_path and job.source.startswith(("http://", "https://"))
    return InpaintRequest(
        audio_path=job.upload_path or None,
        audio_url=job.source if is_url else None,
        replace_start_at=job.start,
        replace_end_at=job.end,
        **job.params,
    )


class JobLifecycle:
    """The client side of a job: drives saved jobs of one store, one per `run`, through submit,
    poll, download and alignment with one client (the server side is the local server's
    `TaskRunner`). `client` is a `MusicGPTClient` (or anything with its methods); `reference`
    returns the audio the job's region refers to (for alignment)."""

    def __init__(self, store: JobStore, client: Any, cache_dir: Path, *,
                 reference: ReferenceLoader | None = None,
                 on_progress: ProgressSink | None = None,
                 poll_deadline_s: float = POLL_DEADLINE_S, stall_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.client = client
        self.cache_dir = Path(cache_dir)
        self.reference = reference or load_reference
        self.on_progress = on_progress
        self.poll_deadline_s = poll_deadline_s
        self.stall_s = stall_s  # None: STALL_ETA_FACTOR × the server's estimate, ≥ STALL_MIN_S
        self.clock = clock
        self._renewed: dict[str, float] = {}  # job id → when its lease was last renewed
        self._last_progress: dict[str, float] = {}  # job id → when progress was last reported

    # -- the whole run -------------------------------------------------------------------------
    def run(self, job_id: str, token: CancelToken = NEVER) -> Generator[JobEvent, None, Job]:
        """Advance the job as far as it goes; see the module docstring. Ends early (the job
        stays resumable) when `token` is cancelled: then `Cancelled` propagates."""
        if not self.store.claim(job_id):
            raise JobBusy(job_id, self.store.holder(job_id))
        try:
            job = self.store.get(job_id)
            found = job.stage
            if job.stage is Stage.SUBMITTING:
                if job.backend == LOCAL and hasattr(self.client, "find_task_for_job"):
                    job = self._find_sent(job, token)
                else:
                    job = self._mark_unknown(job, "The app stopped while the job was being "
                                                  "sent.")
                yield JobEvent(job)
            if job.stage is Stage.CREATED:
                job = yield from self._submit(job, token)
            if job.stage in (Stage.QUEUED, Stage.IN_PROGRESS, Stage.PARTIAL):
                job = yield from self._poll(job, token)
            if job.stage is Stage.DOWNLOADING:
                # Found here at the start, the job's result addresses are from an earlier run:
                # they may have expired, or point at a server that has moved (the local server
                # listens on a new port each start). Ask for the task again first.
                resumed = found is Stage.DOWNLOADING
                if resumed:
                    job = self._refresh_urls(job, token)
                job = yield from self._download(job, token, refreshed=resumed)
            if job.stage is Stage.ALIGNING:
                job = yield from self._align(job, token)
            return job
        finally:
            self.store.release(job_id)

    # -- submit --------------------------------------------------------------------------------
    def _submit(self, job: Job, token: CancelToken) -> Generator[JobEvent, None, Job]:
        req = request_for(job)
        # The atomic CREATED → SUBMITTING move is what makes a second POST impossible: of two
        # runners only one gets past it, and a crash after it leaves SUBMITTING → UNKNOWN.
        job = self.store.transition(job.id, [Stage.CREATED], Stage.SUBMITTING,
                                    submit_attempts=job.submit_attempts + 1, message="",
                                    error_kind="", paused=False)
        yield JobEvent(job)
        sent = [0, 0]

        def progress(done: int, total: int) -> None:
            sent[:] = [done, total]
            self._keep_lease(job.id)
            self._progress(job, "upload", done, total)

        # The local backend takes the job's id, so it never makes two tasks for one job.
        named = {"client_job_id": job.id} if job.backend == LOCAL else {}
        try:
            res = self.client.submit_inpaint(req, progress=progress, token=token, **named)
        except Cancelled:
            if sent[1] and sent[0] >= sent[1]:
                job = self._mark_unknown(job, "Sending was stopped after the whole request "
                                              "had gone out; the server may have the job.")
            else:
                # The body was not complete, so the server cannot have accepted the job.
                job = self.store.transition(job.id, [Stage.SUBMITTING], Stage.CREATED,
                                            paused=True, message="Stopped before it was sent.")
            yield JobEvent(job)
            raise
        except api_errors.SubmitOutcomeUnknown as exc:
            job = self._mark_unknown(job, exc.user_message)
            yield JobEvent(job)
            return job
        except api_errors.ConnectionFailed as exc:
            if exc.reached_server:
                job = self._mark_unknown(job, exc.user_message)
            else:
                job = self._fail(job, exc, [Stage.SUBMITTING])
            yield JobEvent(job)
            return job
        except api_errors.ApiError as exc:
            job = self._fail(job, exc, [Stage.SUBMITTING])
            yield JobEvent(job)
            return job
        except Exception as exc:  # not an API error: a local file error, or a bug
            if sent[0] > 0:
                # Bytes had left: the server may have the job, so it must not look safe to
                # send again (a FAILED job invites a retry that may be charged twice).
                log.exception("submit of job %s ended unexpectedly", job.id[:8])
                job = self._mark_unknown(job, f"Sending stopped unexpectedly ({type(exc).__name__}"
                                              ") after part of the request had gone out.")
            else:
                job = self._fail(job, exc, [Stage.SUBMITTING])
            yield JobEvent(job)
            return job
        status = TaskStatus(res.status) if res.status else TaskStatus.IN_QUEUE
        job = self.store.transition(
            job.id, [Stage.SUBMITTING], _stage_of(status, 0, 2),
            task_id=res.task_id, conversion_ids=list(res.conversion_ids), eta=res.eta,
            credit_estimate=res.credit_estimate, submitted_at=time.time(),
            server_status=status.value, message=res.message or "")
        yield JobEvent(job)
        return job

    def _find_sent(self, job: Job, token: CancelToken) -> Job:
        """A local job found in SUBMITTING: ask the local server for the task it holds for
        this job (by the id sent with the submit). Found: follow it. None: the server never
        took the job, so it is sent again (safe: a second submit of the same job id returns
        the first task). No answer: the job stays unknown, as for MusicGPT."""
        try:
            task = self.client.find_task_for_job(job.id, token=token)
        except Cancelled:
            raise
        except api_errors.ApiError as exc:
            return self._mark_unknown(
                job, "The app stopped while the job was being sent, and the local server "
                     f"could not be asked ({exc.user_message}).")
        if task is None:
            log.info("job %s: the local server holds no task for it; sending it again",
                     job.id[:8])
            return self.store.transition(
                job.id, [Stage.SUBMITTING], Stage.CREATED,
                message="The app stopped while sending this job; the local server had not "
                        "received it, so it is sent again.")
        log.info("job %s: the local server holds task %s for it", job.id[:8], task.task_id)
        # Polled from QUEUED: the poll records its status and results (a finished task
        # finishes at the first poll).
        return self.store.transition(
            job.id, [Stage.SUBMITTING], Stage.QUEUED, task_id=task.task_id,
            conversion_ids=list(task.conversion_ids), submitted_at=time.time(),
            server_status="", message="The app stopped while sending this job; the local "
                                      "server had received it, so it is followed from there.")

    # -- poll ----------------------------------------------------------------------------------
    def _poll(self, job: Job, token: CancelToken) -> Generator[JobEvent, None, Job]:
        """Follow the task until it ends. A poll failure the client's retry policy gave up on
        stops the run (the job keeps its stage, and the error in its message); it is not
        retried here."""
        expected = int(job.params.get("num_outputs") or 2)
        started = job.submitted_at or time.time()
        remaining = self.poll_deadline_s - (time.time() - started)
        if remaining <= 0:
            return (yield from self._stalled(job))
        gen = self.client.wait(job.task_id, eta=job.eta, deadline_s=remaining, token=token)
        stall = self.stall_limit(job)
        last_change = self.clock()
        try:
            while True:
                try:
                    task = next(gen)
                except StopIteration as stop:
                    task = stop.value
                    job = self._record_task(job, task, expected)
                    yield JobEvent(job)
                    return (yield from self._finish_poll(job, task))
                self.store.renew(job.id)
                before = (job.stage, job.server_status, len(job.results))
                job = self._record_task(job, task, expected)
                if (job.stage, job.server_status, len(job.results)) != before:
                    last_change = self.clock()
                    yield JobEvent(job)
                elif self.clock() - last_change >= stall:
                    note = (f"The server has shown no progress on this job for "
                            f"{_minutes(stall)}; stopped waiting. It may still finish: "
                            "resume it to wait again.")
                    job = self.store.update(job.id, message=note, error_kind="Stalled")
                    yield JobEvent(job, "retry", note=note)
                    return job
        except Cancelled:
            raise
        except _LOST_CONTACT as exc:
            if isinstance(exc, api_errors.ApiTimeout) and \
                    time.time() - started >= self.poll_deadline_s - 1:
                return (yield from self._stalled(job))
            note = exc.user_message
            job = self.store.update(job.id, message=note, error_kind=type(exc).__name__)
            yield JobEvent(job, "retry", note=note)
            raise
        except api_errors.ApiError as exc:  # auth, not found: waiting longer will not help
            job = self._fail(job, exc, IN_FLIGHT)
            yield JobEvent(job)
            return job
        finally:
            gen.close()

    def stall_limit(self, job: Job) -> float:
        """Seconds without progress after which a run stops waiting for `job`'s task."""
        if self.stall_s is not None:
            return self.stall_s
        eta = job.eta if job.eta and job.eta > 0 else 0
        return max(STALL_MIN_S, STALL_ETA_FACTOR * eta)

    def _record_task(self, job: Job, task: Task, expected: int) -> Job:
        for v in task.versions:
            url, alt = _urls_of(v)
            have = job.result(v.index)
            midi = getattr(v, "midi_url", None) or ""
            if url and (have is None or (not have.path and have.url != url)):
                job = self.store.set_result(job.id, Result(
                    index=v.index, conversion_id=v.conversion_id or "", url=url, alt_url=alt,
                    duration=v.duration, midi_url=midi))
            elif have is not None and midi and not have.midi_path and have.midi_url != midi:
                have.midi_url = midi
                job = self.store.set_result(job.id, have)
        ready = sum(1 for r in job.results if r.url)
        stage = _stage_of(task.status, ready, expected)
        if stage is not job.stage or task.status.value != job.server_status:
            if stage in (Stage.QUEUED, Stage.IN_PROGRESS, Stage.PARTIAL):
                job = self.store.transition(job.id, [Stage.QUEUED, Stage.IN_PROGRESS,
                                                     Stage.PARTIAL], stage,
                                            server_status=task.status.value,
                                            message=task.message or job.message)
            else:
                job = self.store.update(job.id, server_status=task.status.value,
                                        message=task.message or "")
        return job

    def _finish_poll(self, job: Job, task: Task) -> Generator[JobEvent, None, Job]:
        if task.status.is_failure:
            reason = task.message or "The server gave no reason."
            job = self.store.transition(job.id, IN_FLIGHT, Stage.FAILED,
                                        message=f"The server could not make this job: {reason}",
                                        error_kind="TaskFailed")
        elif not any(r.url for r in job.results):
            job = self.store.transition(job.id, IN_FLIGHT, Stage.FAILED,
                                        message="The server finished the job but returned no "
                                                "audio.", error_kind="BadResponse")
        else:
            job = self.store.transition(job.id, IN_FLIGHT, Stage.DOWNLOADING, message="")
        yield JobEvent(job)
        return job

    def _stalled(self, job: Job) -> Generator[JobEvent, None, Job]:
        minutes = self.poll_deadline_s / 60
        job = self.store.transition(
            job.id, IN_FLIGHT, Stage.FAILED, error_kind="ApiTimeout",
            message=f"The server has not finished this job after {minutes:.0f} minutes. It may "
                    "still finish: use Check again to look for it.")
        yield JobEvent(job)
        return job

    # -- download and verify ---------------------------------------------------------------------
    def _refresh_urls(self, job: Job, token: CancelToken) -> Job:
        """Read the task again (one GET) and keep its current result addresses for the versions
        not yet downloaded. On an error the stored addresses stay (the download will say)."""
        if not job.task_id:
            return job
        try:
            task = self.client.get_task(job.task_id, token=token)
        except Cancelled:
            raise
        except api_errors.ApiError as exc:
            log.info("job %s: could not re-read the task's addresses: %s", job.id[:8],
                     exc.user_message)
            return job
        for v in task.versions:
            url, alt = _urls_of(v)
            have = job.result(v.index)
            if have is not None and not have.path and url and (url, alt) != (have.url,
                                                                                have.alt_url):
                have.url, have.alt_url = url, alt
                job = self.store.set_result(job.id, have)
            midi = getattr(v, "midi_url", None) or ""
            have = job.result(v.index)
            if have is not None and not have.midi_path and midi and midi != have.midi_url:
                have.midi_url = midi
                job = self.store.set_result(job.id, have)
        return job

    def _download(self, job: Job, token: CancelToken,
                  refreshed: bool = False) -> Generator[JobEvent, None, Job]:
        """Fetch each version not yet verified. A version whose address fails for good (gone,
        or not audio) is tried in its other format (the MP3 beside a WAV), then once more after
        re-reading the task; one the retry policy gave up on (the host kept failing) is not."""
        folder = self.cache_dir / "jobs" / job.id
        for index in [r.index for r in job.results]:
            res = job.result(index)
            if res.path and Path(res.path).is_file() and sha256_file(Path(res.path)) == res.sha256:
                continue  # downloaded and verified before: never fetched twice

            def progress(done: int, total: int, index: int = index, at: Job = job) -> None:
                self._keep_lease(at.id)
                self._progress(at, "download", done, total, index)

            tried: list[str] = []
            error: api_errors.ApiError | None = None
            path = None
            while path is None:
                untried = [u for u in (res.url, res.alt_url) if u and u not in tried]
                if not untried:
                    if refreshed or error is None:
                        break
                    refreshed = True
                    job = self._refresh_urls(job, token)
                    res = job.result(index)
                    continue
                url = untried[0]
                tried.append(url)
                try:
                    path = Path(self.client.download(url, _target(folder, res, url),
                                                     progress=progress, token=token))
                except Cancelled:
                    raise
                except api_errors.ApiError as exc:
                    log.info("job %s: version %d from %s failed: %s", job.id[:8], index,
                             "the other format" if len(tried) > 1 else "its address",
                             exc.user_message)
                    if exc.gave_up_after:
                        # The retry policy already tried this host again and again; another
                        # address on it (or a re-read task) would only retry it once more.
                        error = exc
                        break
                    error = error or exc
            if path is None:
                job = self._fail(job, error or api_errors.BadResponse(
                    "The server gave no address for it."), [Stage.DOWNLOADING],
                    prefix=f"Version {index} could not be downloaded: ")
                yield JobEvent(job)
                return job
            res.path, res.size, res.sha256 = str(path), path.stat().st_size, sha256_file(path)
            job = self.store.set_result(job.id, res)
            yield JobEvent(job)
        job = self._download_midi(job, folder, token)
        job = self.store.transition(job.id, [Stage.DOWNLOADING], Stage.ALIGNING)
        yield JobEvent(job)
        return job

    def _download_midi(self, job: Job, folder: Path, token: CancelToken) -> Job:
        """Fetch each version's part as MIDI where the server offered one (the local server's
        session player), after the audio, with the same downloader and hop rules, verified and
        renamed into place beside the audio. A MIDI file that cannot be fetched never fails
        the job: it is logged, and the finished job's message says so (`_midi_note`)."""
        for res in list(job.results):
            if not res.midi_url or (res.midi_path and Path(res.midi_path).is_file()):
                continue
            try:
                # An extra beside the audio: a short retry budget, so a server gone quiet
                # delays the finished job by seconds, not the audio's minute and a half.
                path = Path(self.client.download(
                    res.midi_url, _target(folder, res, "part.mid"), token=token, verify="midi",
                    retry=dataclasses.replace(self.client.retry, attempts=3, budget_s=10.0)))
            except Cancelled:
                raise
            except api_errors.ApiError as exc:
                log.info("job %s: the MIDI file of version %d could not be downloaded: %s",
                         job.id[:8], res.index, exc.user_message)
                continue
            except OSError as exc:  # e.g. a full disk: the audio is what the job is for
                log.info("job %s: the MIDI file of version %d could not be saved: %s",
                         job.id[:8], res.index, exc)
                continue
            res.midi_path = str(path)
            job = self.store.set_result(job.id, res)
        return job

    # -- align ---------------------------------------------------------------------------------
    def _align(self, job: Job, token: CancelToken) -> Generator[JobEvent, None, Job]:
        from inpaint_studio.core.align import align, apply_alignment
        from inpaint_studio.core.decode import load_audio

        reference = self.reference(job)
        for res in list(job.results):
            token.raise_if_cancelled()
            self._keep_lease(job.id)
            version = load_audio(res.path, token=token)
            if reference is None:
                yield JobEvent(job, "version", index=res.index, audio=version)
                continue
            if not res.aligned:
                a = align(reference, version, (job.start, job.end), max_offset_s=5.0)
                res.aligned = {"offset": a.offset, "sample_rate": a.sample_rate,
                               "confidence": round(a.confidence, 4)}
                job = self.store.set_result(job.id, res)
            aligned = apply_alignment(version, _alignment(res.aligned), reference.frames,
                                      reference.channels)
            yield JobEvent(job, "version", index=res.index, audio=aligned)
        note = ""
        low = [r.index for r in job.results if r.aligned and r.aligned["confidence"] < 0.5]
        if low:
            note = (f"Version {', '.join(map(str, low))} matches the original poorly outside "
                    "the region; it may not line up.")
        note = " ".join(n for n in (note, _midi_note(job)) if n)
        job = self.store.transition(job.id, [Stage.ALIGNING], Stage.DONE, message=note)
        yield JobEvent(job)
        return job

    # -- helpers -------------------------------------------------------------------------------
    def _mark_unknown(self, job: Job, why: str) -> Job:
        return self.store.transition(
            job.id, [Stage.SUBMITTING], Stage.UNKNOWN, error_kind="SubmitOutcomeUnknown",
            message=f"{why} It is not known whether the server received the job (it may have "
                    "been charged). It was not sent again: look for it, or retry knowingly.")

    def _fail(self, job: Job, exc: BaseException, from_stages: Any, prefix: str = "") -> Job:
        text = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
        return self.store.transition(job.id, from_stages, Stage.FAILED,
                                     message=prefix + text, error_kind=type(exc).__name__)

    def _keep_lease(self, job_id: str) -> None:
        """Renew the job's lease during long uploads, downloads and alignment (polls renew it
        too): a lease left to expire lets another process take the job and write the same
        partial files. Throttled to a few renewals per lease period."""
        now = time.monotonic()
        if now - self._renewed.get(job_id, -LEASE_S) >= LEASE_S / 4:
            self._renewed[job_id] = now
            self.store.renew(job_id)

    def _progress(self, job: Job, kind: str, done: int, total: int, index: int = 0) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if done < total and now - self._last_progress.get(job.id, 0.0) < _PROGRESS_EVERY_S:
            return
        self._last_progress[job.id] = now
        self.on_progress(JobEvent(job, kind, int(done), int(total), index))


class JobBusy(Exception):
    """Another live process is running this job."""

    def __init__(self, job_id: str, pid: int | None) -> None:
        super().__init__(f"Job {job_id[:8]} is being run by another process"
                         + (f" (pid {pid})." if pid else "."))
        self.pid = pid


def _stage_of(status: TaskStatus, ready: int, expected: int) -> Stage:
    if status in (TaskStatus.IN_QUEUE, TaskStatus.PENDING):
        return Stage.QUEUED if ready == 0 else Stage.PARTIAL
    if status is TaskStatus.COMPLETED or status.is_terminal:
        return Stage.DOWNLOADING
    if ready and ready < expected:
        return Stage.PARTIAL
    return Stage.IN_PROGRESS


def _minutes(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} minutes"


def _alignment(d: dict[str, Any]) -> Any:
    from inpaint_studio.core.align import Alignment

    return Alignment(int(d["offset"]), int(d["sample_rate"]), float(d["confidence"]))


def load_reference(job: Job) -> Audio | None:
    """The audio the job's region refers to: the uploaded file (the song as it was sent), else
    the source if it is a local file. None when neither can be read (no alignment then)."""
    from inpaint_studio.core.decode import load_audio
    from inpaint_studio.core.errors import AudioError

    for candidate in (job.upload_path, job.source):
        if candidate and not candidate.startswith(("http://", "https://")) \
                and Path(candidate).is_file():
            try:
                return load_audio(candidate)
            except AudioError:
                log.warning("reference %s unreadable; versions are not aligned", candidate)
    return None


def _midi_note(job: Job) -> str:
    """What the finished job says about parts offered as MIDI that did not arrive."""
    missed = [str(r.index) for r in job.results
              if r.midi_url and not (r.midi_path and Path(r.midi_path).is_file())]
    if not missed:
        return ""
    if len(missed) == 1:
        return (f"The part of version {missed[0]} as MIDI could not be downloaded; the audio "
                "is complete.")
    return (f"The parts of versions {' and '.join(missed)} as MIDI could not be downloaded; "
            "the audio is complete.")


def _urls_of(version: Any) -> tuple[str, str]:
    """A returned version's addresses: the WAV first (lossless) with the MP3 as its fallback,
    or the MP3 alone."""
    if version.wav_url:
        return version.wav_url, version.mp3_url or ""
    return version.mp3_url or "", ""


def _target(folder: Path, res: Result, url: str) -> Path:
    """Where a version's download goes: named by its conversion id (never by the URL's path),
    or by its index where the server gave no usable id."""
    suffix = Path(url.split("?")[0]).suffix.lower()
    suffix = suffix if suffix in (".mp3", ".wav", ".flac", ".mid") else ".mp3"
    try:
        return folder / result_filename(res.conversion_id, suffix)
    except api_errors.ApiError:
        return folder / f"version-{res.index}{suffix}"
