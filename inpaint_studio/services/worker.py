"""The one worker pattern of the app: every piece of background work runs as a `Worker`.

A worker runs a function on a pool thread. The function receives a `WorkContext` as its first
argument: `ctx.token` for cooperative cancellation, `ctx.progress(done, total)` for progress, and
`ctx.emit(value)` for partial results (e.g. one chunk of a decode, one status of a poll). A
generator function may instead `yield` its partial results; cancellation is checked between
yields. Every worker ends in exactly one of `returned` / `errored` / `cancelled`, then `finished`.
Signals are delivered on the thread the worker was created on (the GUI thread)."""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from inpaint_studio.core.cancel import Cancelled, CancelToken

log = logging.getLogger(__name__)


class WorkContext:
    """What a background function may use to talk back; safe to call from the worker thread."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self.token: CancelToken = worker.token

    def progress(self, done: float, total: float | None = None) -> None:
        self._worker.progressed.emit(done, -1.0 if total is None else total)

    def emit(self, value: Any) -> None:
        self._worker.partial.emit(value)

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled


class Worker(QObject):
    """A unit of background work. Create on the GUI thread, start with `WorkerPool.start`."""

    started = Signal()
    progressed = Signal(float, float)  # done, total (-1 when unknown)
    partial = Signal(object)
    returned = Signal(object)
    errored = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "", **kwargs: Any) -> None:
        super().__init__()
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.name = name or getattr(fn, "__name__", "work")
        self.token = CancelToken()
        self.done = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop; it ends with `cancelled` at its next check."""
        self.token.cancel()

    def run(self) -> None:
        """Run on the calling thread (the pool calls this); emits the signals in order."""
        self.started.emit()
        ctx = WorkContext(self)
        try:
            self.token.raise_if_cancelled()  # cancelled before it ever ran
            result = self.fn(ctx, *self.args, **self.kwargs)
            if inspect.isgenerator(result):
                result = self._drain(result)
            if self.token.cancelled:
                raise Cancelled()
        except Cancelled:
            self.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - everything reaches the GUI as `errored`
            if self.token.cancelled:
                self.cancelled.emit()
            else:
                # In the log file whatever the receivers do with it (a failure nobody shows
                # must still leave a trace there).
                log.info("worker %s failed: %s", self.name, type(exc).__name__, exc_info=True)
                self.errored.emit(exc)
        else:
            self.returned.emit(result)
        finally:
            self.done.set()
            self.finished.emit()

    def _drain(self, gen: Any) -> Any:
        try:
            while True:
                self.token.raise_if_cancelled()
                self.partial.emit(next(gen))
        except StopIteration as stop:
            return stop.value
        finally:
            gen.close()


class _Runnable(QRunnable):
    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._worker = worker

    def run(self) -> None:
        self._worker.run()


class WorkerPool(QObject):
    """Starts workers on a thread pool, keeps them alive until finished, and lets the app cancel
    and wait for all of them on quit."""

    def __init__(self, max_threads: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._active: set[Worker] = set()
        self._pending: list[Worker] = []

    def start(self, worker: Worker) -> Worker:
        """Start `worker` now. Connect its signals before calling this: a signal emitted before
        a connection exists is not delivered later."""
        self._active.add(worker)
        worker.finished.connect(lambda w=worker: self._active.discard(w))
        self._pool.start(_Runnable(worker))
        return worker

    def run(self, fn: Callable[..., Any], *args: Any, name: str = "", **kwargs: Any) -> Worker:
        """Wrap `fn` in a `Worker` and start it on the next turn of this thread's event loop, so
        that signals connected right after this call (in the same block of code) are heard."""
        worker = Worker(fn, *args, name=name, **kwargs)
        self._pending.append(worker)
        QTimer.singleShot(0, self, self._launch_pending)
        return worker

    def _launch_pending(self) -> None:
        pending, self._pending = self._pending, []
        for worker in pending:
            self.start(worker)

    @property
    def active(self) -> list[Worker]:
        return list(self._active) + list(self._pending)

    def cancel_all(self) -> None:
        for worker in self.active:
            worker.cancel()

    def wait_all(self, timeout_ms: int = 5000) -> bool:
        """Block until every worker has finished (used on quit and in tests)."""
        self._launch_pending()
        return self._pool.waitForDone(timeout_ms)


class OneWorkerAtATime(QObject):
    """Base of a service that runs one worker at a time (the exporter, the song loader): the
    worker running now (None when idle), `busy`, and `cancel` of that worker."""

    def __init__(self, workers: WorkerPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workers = workers
        self.worker: Worker | None = None

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def cancel(self) -> None:
        """Cancel the running worker, if any (its `cancelled` signal follows when it stops)."""
        if self.worker is not None:
            self.worker.cancel()
