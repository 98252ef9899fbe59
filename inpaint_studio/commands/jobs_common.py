"""What `submit`, `jobs` and `resume` share: the backend options, running a job to its end with
progress on stderr (through `backends.runs`, as the scripting API does), and exit codes."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from inpaint_studio import paths
from inpaint_studio.api.errors import ApiError
from inpaint_studio.backends.backend import (
    DEFAULT_BASE_URL,
    PLAN_NAMES,
    Backends,
    BackendSettings,
    BackendUnavailable,
)
from inpaint_studio.backends.keystore import KeyStore
from inpaint_studio.backends.runs import run_to_end
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.jobs.describe import describe_stage
from inpaint_studio.jobs.lifecycle import JobEvent
from inpaint_studio.jobs.store import Job, JobStore, Stage


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", default=os.environ.get("MUSICGPT_BASE_URL",
                                                             DEFAULT_BASE_URL),
                        help="MusicGPT API address (default: %(default)s or $MUSICGPT_BASE_URL)")
    parser.add_argument("--plan", choices=PLAN_NAMES, default="pro",
                        help="MusicGPT plan, for pacing and the cost estimate")
    parser.add_argument("--store", type=Path, default=None,
                        help="job store file (default: the app's, shared with the GUI)")
    parser.add_argument("--local-engine", dest="local_engine", default=None,
                        help="engine of the local backend: 'quick' (the fast test engine) or "
                             "module:function (default: the real engine)")


def make_backends(args: argparse.Namespace, kind: str = "") -> Backends:
    """Backends for the CLI: the key comes from $MUSICGPT_API_KEY or the keyring."""
    return Backends(BackendSettings(kind=kind, base_url=args.base_url, plan=args.plan), KeyStore(),
                    server_engine=args.local_engine)


def open_store(args: argparse.Namespace) -> JobStore:
    return JobStore(args.store)


class Printer:
    """Progress on stderr, one line per stage change, byte progress rewritten in place."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._last = ""
        self._mid_line = False  # a progress line is being rewritten in place

    def __call__(self, event: JobEvent) -> None:
        if self.quiet or event.kind == "version":
            return
        job = event.job
        if event.kind in ("upload", "download"):
            what = "uploading" if event.kind == "upload" else f"downloading version {event.index}"
            pct = 100.0 * event.done / event.total if event.total else 0.0
            sys.stderr.write(f"\r{job.id[:8]} {what}: {pct:5.1f}% "
                             f"({event.done / 1e6:.1f} of {event.total / 1e6:.1f} MB)")
            sys.stderr.flush()
            self._mid_line = True
            return
        line = f"{job.id[:8]} {describe_stage(job)}"
        if event.kind == "retry":
            line += f" — {event.note}"
        if line != self._last:
            if self._mid_line:
                sys.stderr.write("\n")
                self._mid_line = False
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
            self._last = line


def run_job(store: JobStore, backends: Backends, job: Job, *, printer: Printer,
            token: CancelToken = NEVER) -> Job:
    """Advance `job` as far as it goes with the right client, printing its stages. A run that
    stops early (no key, lost contact) leaves the job resumable and says why on stderr."""
    try:
        return run_to_end(store, backends, job, paths.cache_dir(), on_event=printer,
                          token=token)
    except (BackendUnavailable, ApiError) as exc:
        print(f"{job.id[:8]} stopped: {exc.user_message} Run `inpaint-studio resume` to "
              "continue.", file=sys.stderr)
        return store.get(job.id)


def exit_code(job: Job) -> int:
    """0 for done, 3 for failed, 4 for outcome unknown, 5 for still running."""
    if job.stage is Stage.DONE:
        return 0
    if job.stage is Stage.FAILED:
        return 3
    if job.stage is Stage.UNKNOWN:
        return 4
    return 5


def when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"
