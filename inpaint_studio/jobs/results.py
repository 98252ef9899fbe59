"""A finished job's versions handed to the user: copies of the downloaded files in a folder of
their choosing, named after the song (the CLI's `--out`, the scripting API's `out_dir`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from inpaint_studio.core.atomic import atomic_path
from inpaint_studio.jobs.store import Job


def copy_results(job: Job, out: Path, stem: str) -> list[Path]:
    """Copy the downloaded versions to `out` as `<stem>-v<N><suffix>` (atomically)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for res in job.results:
        if not res.path:
            continue
        target = out / f"{stem}-v{res.index}{Path(res.path).suffix}"
        with atomic_path(target) as tmp:
            shutil.copyfile(res.path, tmp)
            os.chmod(tmp, 0o644)  # a normal file for the user, not the temp file's 0600
        written.append(target)
    return written
