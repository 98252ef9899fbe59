"""Exports in the background: the whole edited song, or one region (e.g. a version's) alone.

One export at a time runs in a `Worker` (progress, cancel); the file appears at the target only
when complete. The buffer lock of the edit session is held while samples are read, so a keep or
an undo cannot change the song halfway through an export."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from inpaint_studio.core.atomic import atomic_path
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.export import ExportOptions, export_audio, export_region
from inpaint_studio.services.worker import OneWorkerAtATime, WorkContext, Worker, WorkerPool


def _export(ctx: WorkContext, audio: Audio, target: Path, options: ExportOptions,
            region: tuple[float, float] | None, lock: threading.Lock | None) -> Path:
    def progress(done: int, total: int) -> None:
        ctx.progress(done, total)

    with lock if lock is not None else contextlib.nullcontext():
        if region is None:
            return export_audio(audio, target, options, ctx.token, progress)
        return export_region(audio, region[0], region[1], target, options, ctx.token, progress)


def _copy(ctx: WorkContext, source: Path, target: Path) -> Path:
    """Copy `source` to `target` through a temporary sibling (`core.atomic`)."""
    ctx.token.raise_if_cancelled()
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return target


class Exporter(OneWorkerAtATime):
    """Starts and follows exports. Signals come on the GUI thread."""

    started = Signal(str)  # target path
    progressed = Signal(float)  # 0..1
    finished = Signal(str)  # target path, written
    failed = Signal(str)  # a message for the musician
    cancelled = Signal()

    def __init__(self, workers: WorkerPool, lock: threading.Lock | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(workers, parent)
        self.lock = lock

    def export(self, audio: Audio, target: str | os.PathLike[str], options: ExportOptions,
               region: tuple[float, float] | None = None) -> Worker | None:
        """Export `audio` (or only `region` of it) to `target`; None if one is already running."""
        if self.worker is not None:
            return None
        target = Path(target)
        return self._run(Worker(_export, audio, target, options, region, self.lock,
                                name="export"), target)

    def copy(self, source: str | os.PathLike[str],
             target: str | os.PathLike[str]) -> Worker | None:
        """Copy a file made elsewhere (a version's part as MIDI) to `target`, whole or not at
        all, with the same signals as an export; None if an export is already running."""
        if self.worker is not None:
            return None
        target = Path(target)
        return self._run(Worker(_copy, Path(source), target, name="export copy"), target)

    def _run(self, worker: Worker, target: Path) -> Worker:
        self.worker = worker
        worker.progressed.connect(
            lambda done, total: self.progressed.emit(done / total if total > 0 else 0.0))
        # The worker is forgotten before the outcome is announced, so a listener may start the
        # next export straight away.
        worker.returned.connect(lambda path: (self._finished(), self.finished.emit(str(path))))
        worker.errored.connect(lambda exc: (self._finished(),
                                            self.failed.emit(str(exc) or type(exc).__name__)))
        worker.cancelled.connect(lambda: (self._finished(), self.cancelled.emit()))
        self.workers.start(worker)  # after connecting, so no signal is emitted unheard
        self.started.emit(str(target))
        return worker

    def _finished(self) -> None:
        self.worker = None
