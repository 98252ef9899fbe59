"""A finished job's versions handed to the user: copies of the downloaded files in a folder of
their choosing, named after the song (the CLI's `--out`, the scripting API's `out_dir`), and of
each version's played part as MIDI where the local session player made one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from inpaint_studio.core.atomic import atomic_path
from inpaint_studio.jobs.store import Job


def copy_results(job: Job, out: Path, stem: str) -> list[Path]:
    """Copy the downloaded versions to `out` as `<stem>-v<N><suffix>` (atomically)."""
    out.mkdir(parents=True, exist_ok=True)
    return [_copy(res.path, out / f"{stem}-v{res.index}{Path(res.path).suffix}")
            for res in job.results if res.path]


def copy_parts(job: Job, out: Path, stem: str) -> dict[int, Path]:
    """Copy each version's played part to `out` as `<stem>-v<N>-part.mid` (atomically);
    {version index: file}, empty when no version has a part (MusicGPT, the continuation fill)."""
    parts = [res for res in job.results if res.midi_path and Path(res.midi_path).is_file()]
    if parts:
        out.mkdir(parents=True, exist_ok=True)
    return {res.index: _copy(res.midi_path, out / f"{stem}-v{res.index}-part.mid")
            for res in parts}


def _copy(source: str, target: Path) -> Path:
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)  # a normal file for the user, not the temp file's 0600
    return target
