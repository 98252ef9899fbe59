"""What the user can do with a job the lifecycle gave up on: send it again knowingly, attach the
server task they found for it, or check a stalled one again. Each is one guarded store
transition; the next `JobLifecycle.run` then carries the job on from its new stage."""

from __future__ import annotations

import time

from inpaint_studio.api.models import TaskStatus
from inpaint_studio.jobs.store import Job, JobStore, Stage, StaleTransition


def reset_for_retry(store: JobStore, job_id: str) -> Job:
    """The user chose to send a failed or unknown-outcome job again, knowing it may be charged
    twice: back to `CREATED` with the old server ids cleared."""
    job = store.get(job_id)
    if job.stage not in (Stage.UNKNOWN, Stage.FAILED):
        raise StaleTransition(f"job {job_id[:8]} is {job.stage.value}; only failed or unknown "
                              "jobs can be retried")
    return store.transition(job_id, [Stage.UNKNOWN, Stage.FAILED], Stage.CREATED, task_id="",
                            conversion_ids=[], eta=None, credit_estimate=None,
                            submitted_at=None, server_status="", message="", error_kind="",
                            paused=False, results=[])


def attach_task(store: JobStore, job_id: str, task_id: str) -> Job:
    """The user found the task of an unknown-outcome (or stalled) job: poll it from now on."""
    job = store.get(job_id)
    if job.stage not in (Stage.UNKNOWN, Stage.FAILED):
        raise StaleTransition(f"job {job_id[:8]} is {job.stage.value}")
    return store.transition(job_id, [Stage.UNKNOWN, Stage.FAILED], Stage.QUEUED,
                            task_id=task_id.strip(), submitted_at=job.submitted_at or time.time(),
                            message="", error_kind="", paused=False)


def check_again(store: JobStore, job_id: str) -> Job:
    """A failed job that has a task id (stalled, or lost contact): poll it again."""
    job = store.get(job_id)
    if not job.task_id:
        raise StaleTransition(f"job {job_id[:8]} has no task id to check")
    if job.stage is not Stage.FAILED or job.error_kind == "TaskFailed":
        return job
    if job.server_status == TaskStatus.COMPLETED.value and job.results:
        stage = Stage.ALIGNING if all(r.path for r in job.results) else Stage.DOWNLOADING
    else:
        stage = Stage.QUEUED
    return store.transition(job_id, [Stage.FAILED], stage, submitted_at=time.time(),
                            message="", error_kind="", paused=False)
