"""Projects in the app: save, save as, open, recent projects, autosave and restore after a crash.

The service turns the open song, its edit session and the jobs into a `core.project.Project` and
back. Hashing, copying segment files and writing run in `Worker`s. Opening a project checks the
source by its SHA-256: a moved or changed file is reported through `source_missing`, and the GUI
asks the musician to locate it (`locate`). Autosaves go to `<data>/autosave/<session>.inpaint`
every `interval` seconds while there are unsaved changes; `shutdown` (a clean quit) removes them,
so whatever is left at the next start belongs to a session that crashed."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from inpaint_studio.core.project import (
    Autosave,
    Project,
    ProjectError,
    adopt_segments,
    crashed_autosaves,
    edit_records,
    find_moved_source,
    load_autosave,
    load_project,
    missing_segments,
    remove_autosave,
    save_project,
    sidecar_dir,
    source_status,
    write_autosave,
)
from inpaint_studio.core.system import sha256_file
from inpaint_studio.services.document import DocumentModel, RegionModel
from inpaint_studio.services.edit_session import EditSession
from inpaint_studio.services.settings import RecentList, Settings
from inpaint_studio.services.worker import WorkContext, Worker, WorkerPool

log = logging.getLogger(__name__)

JobsProvider = Callable[[], list[dict[str, Any]]]


def _hash(ctx: WorkContext, path: str) -> tuple[str, str, int]:
    return path, sha256_file(path, ctx.token), os.path.getsize(path)


def _save(ctx: WorkContext, project: Project, target: Path) -> tuple[Project, Path]:
    if not project.source_sha256:
        project.source_sha256 = sha256_file(project.source_path, ctx.token)
        project.source_size = os.path.getsize(project.source_path)
    adopt_segments(project, sidecar_dir(target))
    ctx.token.raise_if_cancelled()
    save_project(project, target)
    return project, target


def _open(ctx: WorkContext, target: Path | None, autosave: Autosave | None
          ) -> tuple[Project, str, Path | None]:
    project = load_project(target) if target is not None else load_autosave(autosave)
    missing = missing_segments(project)
    if missing:
        raise ProjectError(f"{len(missing)} kept version(s) of this project cannot be found "
                           f"(e.g. {missing[0]}); was its -files folder moved or deleted?")
    status = source_status(project, token=ctx.token)
    if status == "missing":
        # Moved alongside the project? Look beside it before asking the musician.
        folders = [p.parent for p in (target,) if p is not None]
        found = find_moved_source(project, folders, ctx.token)
        if found is not None:
            project.source_path, status = str(found), "ok"
    return project, status, target


def _check(ctx: WorkContext, project: Project, candidate: str) -> tuple[Project, str, str]:
    return project, source_status(project, candidate, ctx.token), candidate


class ProjectService(QObject):
    """Owns the project file of the open song. Signals come on the GUI thread."""

    opened = Signal(str)  # project path ("" for a restored, never-saved project)
    saved = Signal(str)
    dirty_changed = Signal(bool)
    failed = Signal(str, str)  # title, message
    source_missing = Signal(object, str)  # Project, "missing" | "changed"
    recent_changed = Signal()
    autosaved = Signal(str)

    def __init__(self, document: DocumentModel, region: RegionModel, session: EditSession,
                 workers: WorkerPool, settings: Settings, open_song: Callable[[str], None],
                 autosave_dir: Path, jobs: JobsProvider | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.region, self.session = document, region, session
        self.workers, self.settings, self.open_song = workers, settings, open_song
        self._recent = RecentList(settings, "projects/recent")
        self.autosave_dir = Path(autosave_dir)
        self.jobs = jobs
        self.session_id = uuid.uuid4().hex[:16]
        self.path: Path | None = None
        self.dirty = False
        self.project_jobs: list[dict[str, Any]] = []
        self._hashes: dict[str, tuple[str, int]] = {}
        self._pending: tuple[Project, bool] | None = None  # a project waiting for its song
        # the crashed session's autosave being restored: kept until this session has written
        # its own autosave of the restored work (or quits cleanly), so that a restore that
        # stops half-way (the song not located, another crash) can be offered again
        self._restored_from: Autosave | None = None
        self._after_autosave: list[Callable[[], None]] = []
        self._autosave_busy = False
        session.segment_dir = self.segment_dir
        session.history_changed.connect(self._on_history)
        session.failed.connect(self._on_session_failed)
        document.loaded.connect(self._on_loaded)
        self.timer = QTimer(self)
        self.timer.setInterval(max(5, int(settings.get("projects/autosave_s"))) * 1000)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()
        if document.state == "ready" and document.path:
            self._hash_song(document.path)

    # -- state ---------------------------------------------------------------------------------
    def segment_dir(self) -> Path:
        """Where new edits' segment files go: the project's sidecar, or this session's autosave
        folder while the project has never been saved."""
        if self.path is not None:
            return sidecar_dir(self.path)
        return self.autosave_dir / f"{self.session_id}-files"

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self.dirty:
            self.dirty = dirty
            self.dirty_changed.emit(dirty)

    def _on_history(self) -> None:
        # Selecting regions in a song with no project and no kept version is nothing to save
        # (and nothing to ask about on quit); once there is a project or a keep, it is.
        entries = self.session.entries()
        worth_keeping = self.path is not None or any(e.kind == "keep" for e in entries)
        if self._pending is None and entries and worth_keeping:
            self._set_dirty(True)

    def _on_session_failed(self, _title: str, _message: str) -> None:
        if self._pending is not None:  # the project's edits could not be re-applied
            self._pending = None
            self.path = None
            self._set_dirty(False)

    def snapshot(self) -> Project:
        """The project as it stands (GUI thread; cheap: no samples, no hashing)."""
        doc, stack = self.document, self.session.stack
        path = doc.path or ""
        sha, size = self._hashes.get(path, ("", 0))
        region = self.region.region
        project = Project(
            source_path=path, source_sha256=sha, source_size=size,
            sample_rate=doc.audio.sample_rate if doc.audio is not None else 0,
            channels=doc.audio.channels if doc.audio is not None else 0,
            frames=doc.audio.frames if doc.audio is not None else 0,
            title=Path(path).stem if path else "",
            edits=edit_records(self.session.entries(), self.session.segment_files)
            if stack is not None else [],
            position=self.session.position,
            region=[region.start, region.end] if region is not None else None,
            crossfade_ms=self.session.crossfade_s * 1000.0,
            jobs=[dict(j) for j in self.project_jobs])
        for job in self.jobs() if self.jobs is not None else []:
            project.upsert_job(job)
        return project

    # -- save ----------------------------------------------------------------------------------
    def can_save(self) -> bool:
        return self.document.state == "ready" and self.document.path is not None

    def save(self, target: str | os.PathLike[str] | None = None) -> bool:
        """Save to `target` (Save As) or the current path; False when there is nowhere to save
        (the GUI then asks for a path) or nothing to save."""
        dest = Path(target) if target is not None else self.path
        if dest is None or not self.can_save():
            return False
        if dest.suffix != ".inpaint":
            dest = dest.with_name(dest.name + ".inpaint")
        worker = Worker(_save, self.snapshot(), dest, name="save project")
        worker.returned.connect(self._saved)
        worker.errored.connect(lambda exc: self.failed.emit("Could not save the project",
                                                            str(exc)))
        self.workers.start(worker)
        return True

    def _saved(self, result: tuple[Project, Path]) -> None:
        project, dest = result
        self.path = dest
        self._hashes[project.source_path] = (project.source_sha256, project.source_size)
        for rec in project.edits:
            if rec.get("kind") == "keep":
                self.session.segment_files[rec["id"]] = Path(rec["segment_file"])
        self._set_dirty(False)
        self._add_recent(str(dest))
        self.saved.emit(str(dest))

    # -- open ----------------------------------------------------------------------------------
    def open(self, path: str | os.PathLike[str]) -> None:
        """Open a project: check its song, load it, then re-apply its edits."""
        worker = Worker(_open, Path(path), None, name="open project")
        worker.returned.connect(self._opened_file)
        worker.errored.connect(lambda exc: self._open_failed(str(path), exc))
        self.workers.start(worker)

    def crashed(self) -> list[Autosave]:
        """Autosaves of sessions that did not quit cleanly (newest first)."""
        return crashed_autosaves(self.autosave_dir)

    def restore(self, autosave: Autosave) -> None:
        """Reopen what a crashed session was doing; it stays unsaved until the musician saves."""
        worker = Worker(_open, None, autosave, name="restore autosave")
        worker.returned.connect(lambda result: self._restored(autosave, result))
        worker.errored.connect(lambda exc: self.failed.emit("Could not restore the autosave",
                                                            str(exc)))
        self.workers.start(worker)

    def discard(self, autosave: Autosave) -> None:
        """Forget a crashed session's autosave (the musician chose not to restore it)."""
        session = autosave.path.name.removesuffix(".inpaint")
        remove_autosave(self.autosave_dir, session)

    def _restored(self, autosave: Autosave, result: tuple[Project, str, Path | None]) -> None:
        project, status, _ = result
        # Its segment files stay where they are; its marker goes once this session's autosave
        # holds the restored work (see _rebuilt).
        self._restored_from = autosave
        self.path = Path(autosave.project_path) if autosave.project_path else None
        self._proceed(project, status, dirty=True)

    def _opened_file(self, result: tuple[Project, str, Path | None]) -> None:
        project, status, target = result
        self.path = target
        if target is not None:
            self._add_recent(str(target))
        self._proceed(project, status, dirty=False)

    def _open_failed(self, path: str, exc: BaseException) -> None:
        if not os.path.isfile(path):  # gone: no use offering it again
            self.remove_recent(path)
        self.failed.emit("Could not open the project", str(exc))

    def _proceed(self, project: Project, status: str, dirty: bool) -> None:
        if status != "ok":
            self._pending = None
            self.source_missing.emit(project, status)
            return
        self._pending = (project, dirty)
        self.project_jobs = [dict(j) for j in project.jobs]
        if project.source_sha256:
            self._hashes[project.source_path] = (project.source_sha256, project.source_size)
        self.open_song(project.source_path)

    def locate(self, project: Project, candidate: str) -> None:
        """The musician points at where the song is now; it must be the very same file."""
        worker = Worker(_check, project, candidate, name="check song")
        worker.returned.connect(self._located)
        worker.errored.connect(lambda exc: self.failed.emit("Could not read the song", str(exc)))
        self.workers.start(worker)

    def _located(self, result: tuple[Project, str, str]) -> None:
        project, status, candidate = result
        if status != "ok":
            self.failed.emit("That is not the project's song",
                             f"{candidate} differs from the song the project was made with "
                             "(its contents do not match the recorded SHA-256).")
            self.source_missing.emit(project, status)
            return
        project.source_path = str(Path(candidate).resolve())
        self._proceed(project, "ok", dirty=True)  # the new location is worth saving

    def _on_loaded(self) -> None:
        path = self.document.path
        pending, self._pending = self._pending, None
        if pending is not None and path is not None and \
                os.path.realpath(path) == os.path.realpath(pending[0].source_path):
            project, dirty = pending
            self._pending = pending  # keeps `_on_history` quiet until the edits are back
            self.session.crossfade_s = project.crossfade_ms / 1000.0
            self.session.rebuild(project.edits, project.position,
                                 on_done=lambda: self._rebuilt(project, dirty))
        else:  # a song opened on its own: no project yet
            self.path = None
            self.project_jobs = []
            self._set_dirty(False)
        if path is not None:
            self._hash_song(path)

    def _hash_song(self, path: str) -> None:
        """Hash the song in the background, so saving does not have to wait for it."""
        if path in self._hashes:
            return
        worker = Worker(_hash, path, name="hash song")
        worker.returned.connect(lambda r: self._hashes.__setitem__(r[0], (r[1], r[2])))
        self.workers.start(worker)

    def _rebuilt(self, project: Project, dirty: bool) -> None:
        self._pending = None
        if project.region:
            # a region the song cannot hold (another song was located) is simply not set
            start, end = project.region
            self.session.restore_region((float(start), float(end)), report=False)
        self._set_dirty(dirty)
        self.opened.emit(str(self.path or ""))
        restored, self._restored_from = self._restored_from, None
        if restored is not None:
            # Next turn of the event loop: the edit queue that called us is still busy now.
            QTimer.singleShot(0, lambda: self.autosave(
                then=lambda: restored.path.unlink(missing_ok=True)))

    # -- autosave ------------------------------------------------------------------------------
    def autosave(self, then: Callable[[], None] | None = None) -> bool:
        """Write the autosave now if there are unsaved changes (in a worker); `then` runs once
        it is written."""
        if self._autosave_busy or not self.dirty or not self.can_save() or self.session.busy:
            if then is not None:
                self._after_autosave.append(then)  # with the next autosave that is written
            return False
        self._autosave_busy = True
        project = self.snapshot()
        worker = Worker(
            lambda ctx: write_autosave(project, self.autosave_dir, self.session_id,
                                       str(self.path or "")), name="autosave")
        waiting = [*self._after_autosave, *([then] if then is not None else [])]
        self._after_autosave = []

        def written(path: Path) -> None:
            self.autosaved.emit(str(path))
            for fn in waiting:
                fn()

        def failed(exc: BaseException) -> None:
            log.warning("autosave failed: %s", exc)
            self._after_autosave[:0] = waiting  # with the next autosave that is written

        worker.returned.connect(written)
        worker.errored.connect(failed)
        worker.finished.connect(lambda: setattr(self, "_autosave_busy", False))
        self.workers.start(worker)
        return True

    def shutdown(self) -> None:
        """A clean quit: stop autosaving and remove this session's autosave (and, since nothing
        else refers to them, the segment files of a project that was never saved)."""
        self.timer.stop()
        remove_autosave(self.autosave_dir, self.session_id)
        for fn in self._after_autosave:  # e.g. drop a restored crash's autosave: quit cleanly
            fn()
        self._after_autosave = []

    # -- recent projects -----------------------------------------------------------------------
    def recent(self) -> list[str]:
        return self._recent.paths()

    def _add_recent(self, path: str) -> None:
        self._recent.add(path)
        self.recent_changed.emit()

    def remove_recent(self, path: str) -> None:
        self._recent.remove(path)
        self.recent_changed.emit()
