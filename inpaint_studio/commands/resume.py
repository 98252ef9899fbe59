"""`inpaint-studio resume [JOB ...]`: continue every job that was in flight (or the given ones).

A job that was never sent is sent; one that was sent is polled and its results downloaded (also
one whose download failed); a result already downloaded is not fetched again. A job whose
submit outcome is unknown is never sent again unless `--retry` says so (it may be charged
twice); `--task-id` attaches the task the user found for it instead. A local job resumes on
the local server started here, which first runs again the tasks it had left unfinished (same
task, same result), so nothing is resent. Without `--out`, finished versions go to the `--out`
of the `submit` each job came from, if it had one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inpaint_studio.backends.backend import LOCAL, MUSICGPT
from inpaint_studio.commands import jobs_common as common
from inpaint_studio.jobs.describe import describe_stage
from inpaint_studio.jobs.lifecycle import JobBusy, attach_task, check_again, reset_for_retry
from inpaint_studio.jobs.results import copy_parts, copy_results
from inpaint_studio.jobs.store import Stage


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("resume", help="continue the jobs that were in flight",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("jobs", nargs="*", help="job ids (a unique prefix is enough)")
    p.add_argument("--retry", action="store_true",
                   help="send the given failed/unknown jobs again (may be charged twice)")
    p.add_argument("--task-id", dest="task_id", help="the server task of the one given job")
    p.add_argument("--backend", choices=(LOCAL, MUSICGPT), default=None,
                   help="only the jobs of this backend (default: all)")
    p.add_argument("--out", type=Path, help="copy finished versions here (default: the --out "
                   "of the submit each job came from, if it had one)")
    p.add_argument("-q", "--quiet", action="store_true")
    common.add_backend_options(p)
    p.set_defaults(func=run)
    return p


def _download_failed(job) -> bool:  # noqa: ANN001
    return (job.stage is Stage.FAILED and not job.paused and bool(job.task_id)
            and job.error_kind == "DownloadError" and any(r.url for r in job.results))


def run(args: argparse.Namespace) -> int:
    store = common.open_store(args)
    try:
        chosen = [store.find(j) for j in args.jobs]
    except KeyError as exc:
        print(f"error: no single job matches {exc.args[0]!r}", file=sys.stderr)
        return 2
    if args.task_id:
        if len(chosen) != 1:
            print("error: --task-id needs exactly one job", file=sys.stderr)
            return 2
        chosen = [attach_task(store, chosen[0].id, args.task_id)]
    elif args.retry:
        chosen = [reset_for_retry(store, j.id) for j in chosen]
    elif chosen:
        chosen = [check_again(store, j.id) if j.stage is Stage.FAILED and j.task_id else j
                  for j in chosen]
        for j in chosen:
            if j.paused:
                store.update(j.id, paused=False)
        chosen = [store.get(j.id) for j in chosen]
    else:
        chosen = [j for j in store.list() if j.runnable or j.stage is Stage.SUBMITTING]
        # A job whose task finished but whose download failed (the host kept failing, the
        # retry policy gave up) is resumable too: its versions are fetched again.
        chosen += [check_again(store, j.id) for j in store.list() if _download_failed(j)]
    if args.backend:
        chosen = [j for j in chosen if j.backend == args.backend]
    if not chosen:
        print("Nothing to resume.", file=sys.stderr)
        return 0
    backends = common.make_backends(args)
    printer = common.Printer(args.quiet)
    worst = 0
    try:
        for job in reversed(chosen):  # oldest first
            try:
                job = common.run_job(store, backends, job, printer=printer)
            except JobBusy as exc:
                print(f"skipped: {exc}", file=sys.stderr)
                continue
            if job.stage is Stage.DONE and (args.out or job.deliver_to):
                stem = Path(job.source.split("?")[0]).stem or "song"
                # `--out`, or the `--out` of the `submit` this job came from, under the names
                # that submit would have given them.
                folder, name = ((args.out, f"{stem}-{job.id[:8]}") if args.out
                                else (Path(job.deliver_to), stem))
                written = copy_results(job, folder, name) + list(
                    copy_parts(job, folder, name).values())
                for path in written:
                    print(path)
            print(f"{job.id[:8]} {describe_stage(job)}")
            worst = max(worst, common.exit_code(job))
    finally:
        backends.stop()
    return worst
