"""`inpaint-studio jobs`: every job in the store with its region, prompt, backend and stage."""

from __future__ import annotations

import argparse
import json

from inpaint_studio.commands.jobs_common import add_backend_options, open_store, when
from inpaint_studio.jobs.describe import describe_stage, fmt_time


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("jobs", help="list the inpaint jobs and their stages")
    p.add_argument("--json", action="store_true", help="one JSON object per job and line")
    p.add_argument("--song", help="only the jobs of this song (path or address)")
    add_backend_options(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    store = open_store(args)
    source = None
    if args.song:
        from pathlib import Path

        source = args.song if "://" in args.song else str(Path(args.song).resolve())
    jobs = store.list(source=source)
    if args.json:
        for job in jobs:
            print(json.dumps({
                "id": job.id, "stage": job.stage.value, "paused": job.paused,
                "backend": job.backend, "source": job.source, "start": job.start,
                "end": job.end, "prompt": job.prompt, "task_id": job.task_id,
                "message": job.message, "submit_attempts": job.submit_attempts,
                "results": [r.path for r in job.results if r.path],
            }))
        return 0
    if not jobs:
        print("No jobs yet.")
        return 0
    for job in jobs:
        prompt = job.prompt if len(job.prompt) <= 40 else job.prompt[:39] + "…"
        print(f"{job.id[:8]}  {when(job.created_at)}  {job.backend:8}  "
              f"{fmt_time(job.start)}–{fmt_time(job.end)}  {prompt!r}\n"
              f"          {describe_stage(job)}")
    return 0
