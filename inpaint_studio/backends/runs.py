"""Running one job on its own backend: the one place that pairs a job with the client it needs.

A job remembers its backend ("local" or "musicgpt") and, for MusicGPT, the address it was sent
to. `job_runner` gives the `JobLifecycle` for it: the client for that backend and address, and a
local job moved to where the local server listens now (a new port each start). `run_to_end`
drives that runner to the job's end. The CLI (`submit`, `resume`) and the scripting API use
both; nothing here prints or retries (the runner and the client own the retry policy)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from inpaint_studio.backends.backend import LOCAL, MUSICGPT, Backends
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.jobs.lifecycle import JobEvent, JobLifecycle, ReferenceLoader
from inpaint_studio.jobs.store import Job, JobStore


def job_runner(store: JobStore, backends: Backends, job: Job, cache_dir: Path, *,
               reference: ReferenceLoader | None = None,
               on_progress: Callable[[JobEvent], None] | None = None) -> JobLifecycle:
    """The runner that advances `job` with the right client. Starts the local server when the
    job is a local one (blocks until it listens): call it from a worker, not a GUI thread."""
    client = backends.client(job.backend, job.base_url if job.backend == MUSICGPT else None)
    if job.backend == LOCAL:
        # The local server gets a new port each run; the job follows it.
        store.update(job.id, base_url=backends.base_url(LOCAL))
    return JobLifecycle(store, client, cache_dir, reference=reference, on_progress=on_progress)


def run_to_end(store: JobStore, backends: Backends, job: Job, cache_dir: Path, *,
               on_event: Callable[[JobEvent], None],
               reference: ReferenceLoader | None = None,
               token: CancelToken = NEVER) -> Job:
    """Advance `job` as far as it goes, handing every event (stage changes, byte progress,
    retries, aligned versions) to `on_event`; returns the job as it ended. Raises what the
    runner raises: `BackendUnavailable`, an `ApiError` when contact is lost (the job stays
    resumable), `JobBusy`, or `Cancelled`."""
    runner = job_runner(store, backends, job, cache_dir, reference=reference,
                        on_progress=on_event)
    gen = runner.run(job.id, token)
    try:
        while True:
            on_event(next(gen))
    except StopIteration as stop:
        return stop.value
