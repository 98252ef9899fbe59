"""A job's stage in the musician's words, shared by the job list and `inpaint-studio jobs`.

Honest by rule: elapsed time against the server's ETA, never an invented percentage."""

from __future__ import annotations

import time

from inpaint_studio.jobs.store import Job, Stage


def fmt_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


def fmt_time(seconds: float) -> str:
    """m:ss.mmm as on the waveform's ruler."""
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m)}:{s:06.3f}"


def describe_details(job: Job) -> str:
    """Several lines for a tooltip: the server's ids, ETA and estimate, the local copies."""
    lines = [f"Job {job.id[:8]} on the {job.backend} backend ({job.base_url})",
             f"Song: {job.source}"]
    if job.task_id:
        lines.append(f"Task id: {job.task_id}")
    if job.eta:
        lines.append(f"Server's ETA: {fmt_duration(job.eta)}")
    if job.credit_estimate is not None:
        lines.append(f"Server's cost estimate: {job.credit_estimate:g}")
    if job.submit_attempts > 1:
        lines.append(f"Sent {job.submit_attempts} times (retried by you)")
    lines += [f"Version {r.index}: {r.path}" for r in job.results if r.path]
    if job.message:
        lines.append(job.message)
    return "\n".join(lines)


def stage_progress(job: Job, now: float | None = None,
                   progress: tuple[int, int] | None = None) -> tuple[float, str] | None:
    """(fraction done, its words) for a stage whose length is known, else None: bytes sent or
    received (uploading, downloading), or time waited against the server's ETA ("0:28 of
    ~1:13"; full, and saying so, past it). Never a guessed fraction."""
    now = time.time() if now is None else now
    stage = job.stage
    if job.paused and stage.in_flight:
        return None
    if stage in (Stage.SUBMITTING, Stage.DOWNLOADING) and progress and progress[1]:
        done, total = progress
        return min(1.0, done / total), f"{done / 1e6:.1f} of {total / 1e6:.1f} MB"
    if stage in (Stage.QUEUED, Stage.IN_PROGRESS, Stage.PARTIAL) and job.eta:
        elapsed = max(0.0, now - (job.submitted_at or now))
        waited, expected = fmt_duration(elapsed), fmt_duration(job.eta)
        if elapsed > job.eta:
            return 1.0, f"{waited}: longer than the ~{expected} expected"
        return elapsed / job.eta, f"{waited} of ~{expected}"
    return None


def describe_stage(job: Job, now: float | None = None, progress: tuple[int, int] | None = None,
                   ) -> str:
    """One line: what is happening to the job. `progress` (done, total) bytes when known."""
    now = time.time() if now is None else now
    pct = ""
    if progress and progress[1]:
        done, total = progress
        pct = f" {100.0 * done / total:.0f}% ({done / 1e6:.1f} of {total / 1e6:.1f} MB)"
    stage = job.stage
    if job.paused and stage.in_flight:
        return "cancelled (stopped waiting; resume to continue)"
    if stage is Stage.CREATED:
        return "saved, not sent yet"
    if stage is Stage.SUBMITTING:
        return "uploading" + pct
    if stage is Stage.UNKNOWN:
        return "outcome unknown: " + job.message if job.message else "outcome unknown"
    if stage in (Stage.QUEUED, Stage.IN_PROGRESS, Stage.PARTIAL):
        elapsed = now - (job.submitted_at or now)
        eta = f" of ~{fmt_duration(job.eta)} expected" if job.eta else ""
        name = {Stage.QUEUED: "queued", Stage.IN_PROGRESS: "in progress",
                Stage.PARTIAL: "version 1 ready, waiting for version 2"}[stage]
        text = f"{name}: {fmt_duration(elapsed)} elapsed{eta}"
        if job.eta and elapsed > job.eta:
            text += " (taking longer than the server expected)"
        if job.message and job.error_kind:
            text += f" — {job.message}"
        return text
    if stage is Stage.DOWNLOADING:
        return "downloading" + pct
    if stage is Stage.ALIGNING:
        return "lining up the versions with the original"
    if stage is Stage.DONE:
        n = sum(1 for r in job.results if r.path)
        return f"done: {n} version{'s' if n != 1 else ''}" + (f" ({job.message})"
                                                               if job.message else "")
    return "failed: " + (job.message or "no reason was given")
