"""Project files (`*.inpaint`, JSON): the song, the edits and the jobs, so nothing is lost.

A project records the source file's path, size and SHA-256 (streamed), the edit stack as plain
records (kept versions point at small float WAV files holding only their segment, in a sidecar
folder `<name>.inpaint-files/` beside the project, or in the autosave folder while the project is
unsaved), the stack position, the current region, and every job as the plain dict the job layer
gave us. Writes are atomic. Autosaves carry the writing process's id, so a later start can tell a
crashed session (its process is gone) from one still running. Headless: no Qt, no app paths."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inpaint_studio.core.atomic import atomic_path, atomic_write_text
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.core.history import Edit, EditStack, KeepEdit, RegionEdit
from inpaint_studio.core.splice import plan_splice
from inpaint_studio.core.system import pid_alive, sha256_file

SCHEMA = 1
SUFFIX = ".inpaint"


class ProjectError(Exception):
    """A project that cannot be opened or saved; `str(err)` is meant for the user."""


@dataclass
class Project:
    """Everything a project file holds. `edits` are records made by `edit_records`; `jobs` are the
    job layer's dicts, kept as given (keyed by their "id")."""

    source_path: str
    source_sha256: str = ""
    source_size: int = 0
    sample_rate: int = 0
    channels: int = 0
    frames: int = 0
    title: str = ""
    edits: list[dict[str, Any]] = field(default_factory=list)
    position: int = 0
    region: list[float] | None = None
    crossfade_ms: float = 30.0
    jobs: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    saved_at: float = 0.0

    def upsert_job(self, job: dict[str, Any]) -> None:
        """Add a job record, or replace the one with the same "id"."""
        key = job.get("id")
        for i, old in enumerate(self.jobs):
            if key is not None and old.get("id") == key:
                self.jobs[i] = dict(job)
                return
        self.jobs.append(dict(job))


# -- the source file ------------------------------------------------------------------------------
def source_status(project: Project, path: str | os.PathLike[str] | None = None,
                  token: CancelToken = NEVER) -> str:
    """"ok" when the file at `path` (default: the recorded path) is the recorded source,
    "missing" when there is no such file, "changed" when it is a different file."""
    path = Path(path if path is not None else project.source_path)
    if not path.is_file():
        return "missing"
    if not project.source_sha256:
        return "ok"
    if project.source_size and path.stat().st_size != project.source_size:
        return "changed"
    return "ok" if sha256_file(path, token) == project.source_sha256 else "changed"


def find_moved_source(project: Project, folders: list[Path],
                      token: CancelToken = NEVER) -> Path | None:
    """Look for the source (same size, then same hash) by name in `folders`; None if not found."""
    name = Path(project.source_path).name
    for folder in folders:
        candidate = folder / name
        if candidate.is_file() and source_status(project, candidate, token) == "ok":
            return candidate
    return None


# -- files ----------------------------------------------------------------------------------------
def sidecar_dir(project_path: str | os.PathLike[str]) -> Path:
    """The folder beside a project that holds its edits' audio."""
    p = Path(project_path)
    return p.with_name(p.name + "-files") if p.suffix != SUFFIX else p.with_suffix(".inpaint-files")


def write_segment(samples: np.ndarray, sample_rate: int, folder: Path, name: str) -> Path:
    """Store one edit's version segment losslessly (32-bit float WAV) as `folder/name.wav`."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.wav"
    if target.exists():  # segments are immutable: same edit id, same samples
        return target
    with atomic_path(target, suffix=".part.wav") as tmp:
        sf.write(str(tmp), samples.T, sample_rate, subtype="FLOAT", format="WAV")
    return target


def read_segment(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), int(rate)


def edit_records(entries: list[Edit], files: dict[str, Path]) -> list[dict[str, Any]]:
    """JSON records of `entries` (an `EditStack`'s); `files[edit.id]` is each keep's segment."""
    out: list[dict[str, Any]] = []
    for e in entries:
        if isinstance(e, KeepEdit):
            out.append({"kind": "keep", "id": e.id, "region": list(e.region),
                        "crossfade_s": e.crossfade_s, "source": e.source,
                        "segment_file": str(files[e.id]), "segment_offset": e.offset})
        else:
            out.append({"kind": "region", "id": e.id,
                        "before": None if e.before is None else list(e.before),
                        "after": None if e.after is None else list(e.after)})
    return out


def rebuild_stack(song: Audio, records: list[dict[str, Any]], position: int,
                  base_dir: Path | None = None, token: CancelToken = NEVER) -> EditStack:
    """An `EditStack` over `song` with the recorded edits, the first `position` applied to the
    song in place (bit-identical to when they were made), the rest ready to be redone. On any
    error the edits already applied are undone first, so the song is left as it was."""
    stack = EditStack(song)
    try:
        _rebuild(stack, records, position, base_dir, token)
    except BaseException:
        while stack.can_undo:
            stack.undo()
        raise
    return stack


def missing_segments(project: Project) -> list[str]:
    """The segment files the project's keeps need that are not there."""
    return [rec["segment_file"] for rec in project.edits
            if rec.get("kind") == "keep" and not Path(rec.get("segment_file", "")).is_file()]


def _rebuild(stack: EditStack, records: list[dict[str, Any]], position: int,
             base_dir: Path | None, token: CancelToken) -> None:
    song = stack.song
    for i, rec in enumerate(records):
        token.raise_if_cancelled()
        apply = i < position
        if rec.get("kind") == "region":
            before, after = rec.get("before"), rec.get("after")
            stack.add_region(RegionEdit(before=tuple(before) if before else None,
                                        after=tuple(after) if after else None,
                                        id=rec.get("id", "")), apply)
            continue
        path = resolve(rec["segment_file"], base_dir)
        if not path.is_file():
            raise ProjectError(f"The audio of a kept version is missing: {path}")
        segment, rate = read_segment(path)
        if rate != song.sample_rate or segment.shape[0] != song.channels:
            raise ProjectError(f"The audio of a kept version does not match the song: {path}")
        region = (float(rec["region"][0]), float(rec["region"][1]))
        xf = float(rec["crossfade_s"])
        edit = KeepEdit(region=region, crossfade_s=xf, source=dict(rec.get("source") or {}),
                        segment=segment, offset=int(rec["segment_offset"]),
                        plan=plan_splice(song.frames, song.sample_rate, *region, xf),
                        id=rec["id"])
        stack.add_keep(edit, apply)


def resolve(path: str, base_dir: Path | None) -> Path:
    p = Path(path)
    return p if p.is_absolute() or base_dir is None else base_dir / p


# -- save and open --------------------------------------------------------------------------------
def to_json(project: Project, project_path: Path | None = None) -> str:
    """The project as JSON; segment files inside the project's folder are stored relative."""
    data = asdict(project)
    data["schema"] = SCHEMA
    data["saved_at"] = time.time()
    if project_path is not None:
        base = project_path.resolve().parent
        for rec in data["edits"]:
            if "segment_file" in rec:
                with contextlib.suppress(ValueError):
                    rec["segment_file"] = str(Path(rec["segment_file"]).resolve().relative_to(base))
    return json.dumps(data, indent=1, sort_keys=True)


def save_project(project: Project, path: str | os.PathLike[str]) -> Path:
    """Write `project` to `path` atomically (the old file stays whole if this is interrupted)."""
    path = Path(path)
    atomic_write_text(path, to_json(project, path))
    project.saved_at = time.time()
    return path


def from_json(text: str, where: str = "the project") -> Project:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProjectError(f"{where} is not a readable project file (bad JSON).") from exc
    if not isinstance(data, dict) or "source_path" not in data:
        raise ProjectError(f"{where} is not an Inpaint Studio project.")
    if int(data.get("schema", 0)) > SCHEMA:
        raise ProjectError(f"{where} was saved by a newer Inpaint Studio; please update.")
    known = set(Project.__dataclass_fields__)
    return Project(**{k: v for k, v in data.items() if k in known})


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a project; segment paths come back absolute. Raises `ProjectError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"Cannot read {path.name}: {exc}") from exc
    project = from_json(text, path.name)
    base = path.resolve().parent
    for rec in project.edits:
        if "segment_file" in rec:
            rec["segment_file"] = str(resolve(rec["segment_file"], base))
    return project


def adopt_segments(project: Project, folder: Path) -> None:
    """Copy every keep's segment into `folder` (a project's sidecar) and point the records there,
    so the project no longer depends on the autosave folder or an old project location."""
    folder.mkdir(parents=True, exist_ok=True)
    for rec in project.edits:
        src = Path(rec.get("segment_file", ""))
        if rec.get("kind") != "keep" or src.parent.resolve() == folder.resolve():
            continue
        dst = folder / src.name
        if not dst.exists():
            with atomic_path(dst, suffix=".part.wav") as tmp:
                shutil.copyfile(src, tmp)
        rec["segment_file"] = str(dst)


# -- autosave -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Autosave:
    """An autosave file left by a session: `pid` wrote it at `saved_at`; `project_path` is where
    the project was saved by the user (or "" when it never was)."""

    path: Path
    pid: int
    saved_at: float
    project_path: str
    source_path: str


def write_autosave(project: Project, folder: Path, session: str,
                   project_path: str = "", pid: int | None = None) -> Path:
    """Atomically write the autosave of `session`; its presence marks the session as running."""
    data = json.loads(to_json(project))
    data["autosave"] = {"pid": os.getpid() if pid is None else pid,
                        "project_path": project_path, "session": session}
    target = folder / f"{session}{SUFFIX}"
    atomic_write_text(target, json.dumps(data, indent=1, sort_keys=True))
    return target


def remove_autosave(folder: Path, session: str) -> None:
    """A clean quit: drop the autosave and the segments only it referenced."""
    with contextlib.suppress(FileNotFoundError):
        (folder / f"{session}{SUFFIX}").unlink()
    shutil.rmtree(folder / f"{session}-files", ignore_errors=True)
    for stale in folder.glob(f".{session}{SUFFIX}.*.part"):  # left by a write that was killed
        with contextlib.suppress(OSError):
            stale.unlink()


def crashed_autosaves(folder: Path) -> list[Autosave]:
    """Autosaves whose writing process is gone: sessions that did not quit cleanly, newest first."""
    found: list[Autosave] = []
    if not folder.is_dir():
        return found
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            meta = data["autosave"]
            pid = int(meta["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours, or unreadable: never offered, never deleted
        if pid_alive(pid):
            continue
        found.append(Autosave(path, pid, float(data.get("saved_at", 0.0)),
                              str(meta.get("project_path", "")), str(data.get("source_path", ""))))
    return sorted(found, key=lambda a: a.saved_at, reverse=True)


def load_autosave(autosave: Autosave) -> Project:
    project = from_json(autosave.path.read_text(encoding="utf-8"), "the autosave")
    project.extra.pop("autosave", None)
    return project
