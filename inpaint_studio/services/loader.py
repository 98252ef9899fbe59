"""Opening a song: decode in a `Worker`, feed the peak pyramid chunk by chunk, and tell the
`DocumentModel` as the waveform grows (at most every ~100 ms) so it can be drawn while decoding.
A song at a web address is first fetched by `fetch_song` (a worker body over `api.url_song`).

A song given at launch starts decoding before the editor (and this song's `AudioLoader`) exists:
`EarlyLoad` runs the same worker at once and keeps what it reports until the loader adopts it
(`AudioLoader.adopt`, then `load` of the same path). This module imports no numpy at its top (the
decode's modules load in the worker), so the app can start that decode right after its first
paint without the GUI thread waiting for them."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from inpaint_studio.core.cancel import Cancelled
from inpaint_studio.services.worker import OneWorkerAtATime, WorkContext, Worker, WorkerPool

if TYPE_CHECKING:  # numpy comes with them: loaded by the decode's worker (see above)
    from inpaint_studio.core.audio import Audio, AudioInfo
    from inpaint_studio.core.peaks import PeakPyramid
    from inpaint_studio.services.document import DocumentModel

log = logging.getLogger(__name__)
UPDATE_INTERVAL_S = 0.1


@dataclass(frozen=True)
class DecodeStarted:
    """Partial result: the header is read; `peaks` fills in as chunks decode."""

    info: AudioInfo
    peaks: PeakPyramid


@dataclass(frozen=True)
class DecodeProgress:
    """Partial result: the fraction decoded (-1 when the length is unknown)."""

    fraction: float


@dataclass(frozen=True)
class Decoded:
    """The worker's result: the whole song, its waveform summary and its facts."""

    audio: Audio
    peaks: PeakPyramid
    info: AudioInfo


def fetch_song(ctx: WorkContext, url: str, cache_dir: Path) -> Path:
    """Worker body: the song at `url` fetched into the cache (resumed and retried like a job's
    results), with byte progress; see `api.url_song.fetch_song`."""
    from inpaint_studio.api import url_song  # requests loads with the first address opened

    return url_song.fetch_song(url, cache_dir, token=ctx.token, progress=ctx.progress)


def decode_with_peaks(ctx: WorkContext, path: str) -> Decoded:
    """Worker body: decode `path` (in parallel parts where it can, see `core.decode`), building
    its pyramid as chunks arrive from wherever they decode. Emits `DecodeStarted` once, then
    `DecodeProgress` (the fraction of frames decoded so far) at most every ~100 ms."""
    from inpaint_studio.core.decode import load_audio
    from inpaint_studio.core.peaks import PeakPyramid

    state: dict[str, Any] = {"pyramid": None, "last": 0.0}

    def on_chunk(info: AudioInfo, start: int, chunk: Any) -> None:
        pyramid: PeakPyramid | None = state["pyramid"]
        if pyramid is None:
            capacity = int((info.declared_duration or 0) * info.sample_rate)
            pyramid = state["pyramid"] = PeakPyramid(info.channels, info.sample_rate, capacity)
            state["info"] = info
            ctx.emit(DecodeStarted(info, pyramid))
        pyramid.write(start, chunk)  # parts fill it from several places at once
        now = time.monotonic()
        if now - state["last"] >= UPDATE_INTERVAL_S or start == 0:
            state["last"] = now
            total = (info.declared_duration or 0) * info.sample_rate
            ctx.emit(DecodeProgress(min(1.0, pyramid.frames / total) if total else -1.0))

    audio = load_audio(path, ctx.token, on_chunk)
    pyramid = state["pyramid"]
    assert pyramid is not None  # load_audio raises when nothing decoded
    return Decoded(audio, pyramid, state["info"])


Heard = Callable[[str, Any], None]  # (how, value): "partial" | "returned" | "errored" | "cancelled"


class EarlyLoad(QObject):
    """One song's decode and what it has reported: every `AudioLoader.load` hears its decode
    through one, and a decode started before there is a loader to show it (the app starts one
    right after its first paint for a song given on the command line, while the editor is
    built) keeps what it hears until a loader adopts it.
    The worker (`decode_with_peaks`, as `AudioLoader.load` runs it) starts at once; what it
    reports is kept (the latest `DecodeStarted` and `DecodeProgress`, and how it ended) until an
    `AudioLoader` adopts it (`listen`), which then hears all of it, and the rest as it comes."""

    def __init__(self, workers: WorkerPool, path: str | os.PathLike[str],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = os.path.abspath(path)
        self.worker = Worker(decode_with_peaks, self.path, name="load")
        self._started: DecodeStarted | None = None
        self._progress: DecodeProgress | None = None
        self._end: tuple[str, Any] | None = None
        self._listener: Heard | None = None
        w = self.worker
        w.partial.connect(lambda msg: self._hear("partial", msg))
        w.returned.connect(lambda result: self._hear("returned", result))
        w.errored.connect(lambda exc: self._hear("errored", exc))
        w.cancelled.connect(lambda: self._hear("cancelled", None))
        workers.start(w)

    @property
    def cancelled(self) -> bool:
        return self.worker.token.cancelled

    def cancel(self) -> None:
        self.worker.cancel()
        self._drop()  # a decode that had already ended no longer holds the song

    def listen(self, listener: Heard) -> None:
        """From now on `listener(how, value)` hears this decode: first what it reported so far
        (the header, the latest progress, its end if it has ended), then the rest as it comes."""
        self._listener = listener
        kept = (self._started, self._progress, self._end)
        self._drop()  # handed over: the listener's document holds the song from now on
        for msg in kept[:2]:
            if msg is not None:
                listener("partial", msg)
        if kept[2] is not None:
            listener(*kept[2])

    def _drop(self) -> None:
        self._started = self._progress = None
        self._end = None

    def _hear(self, how: str, value: Any) -> None:
        if self._listener is not None:
            self._listener(how, value)
        elif how != "partial":
            self._end = (how, value)
        elif isinstance(value, DecodeStarted):
            self._started = value
        else:
            self._progress = value


class AudioLoader(OneWorkerAtATime):
    """Loads songs into a `DocumentModel`, one at a time; a new `load` cancels the previous one."""

    failed = Signal(str, object)  # path, exception

    def __init__(self, document: DocumentModel, workers: WorkerPool,
                 parent: QObject | None = None) -> None:
        super().__init__(workers, parent)
        self.document = document
        self._early: EarlyLoad | None = None

    def adopt(self, early: EarlyLoad) -> None:
        """The next `load` of `early.path` continues `early` (decoding since before this loader
        existed) instead of decoding the song again; a `load` of anything else cancels it."""
        if self._early is not None and self._early is not early:
            self._early.cancel()
        self._early = early

    def load(self, path: str | os.PathLike[str]) -> Worker:
        self.cancel()
        path = os.fspath(path)
        early, self._early = self._early, None
        if early is not None and (early.path != os.path.abspath(path) or early.cancelled):
            early.cancel()
            early = None
        self.document.begin_loading(path)
        if early is None:  # a decode of its own; one started at launch goes on as it is
            early = EarlyLoad(self.workers, path)
        early.setParent(self)
        early.worker.finished.connect(early.deleteLater)  # what it kept was handed over
        self.worker = early.worker
        early.listen(lambda how, value, w=early.worker, p=path: self._hear(w, p, how, value))
        return early.worker

    # -- worker signals (GUI thread); results of a superseded worker are ignored ----------------
    def _hear(self, worker: Worker, path: str, how: str, value: Any) -> None:
        """The decode's worker, heard through its `EarlyLoad`."""
        if how == "partial":
            self._on_partial(worker, value)
        elif how == "returned":
            self._on_returned(worker, value)
        elif how == "errored":
            self._on_errored(worker, path, value)
        else:
            self._on_cancelled(worker)

    def _on_partial(self, worker: Worker, msg: DecodeStarted | DecodeProgress) -> None:
        if worker is not self.worker:
            return
        if isinstance(msg, DecodeStarted):
            self.document.set_info(msg.info, msg.peaks)
        else:
            self.document.set_progress(msg.fraction)

    def _on_returned(self, worker: Worker, result: Decoded) -> None:
        if worker is not self.worker:
            return
        self.worker = None
        if self.document.info is None:
            self.document.set_info(result.info, result.peaks)
        self.document.finish_loading(result.audio, result.peaks)

    def _on_errored(self, worker: Worker, path: str, exc: BaseException) -> None:
        if worker is not self.worker:
            return
        self.worker = None
        log.info("could not open %s: %s", path, exc)
        self.document.fail_loading(exc)
        self.failed.emit(path, exc)

    def _on_cancelled(self, worker: Worker) -> None:
        if worker is not self.worker:
            return
        self.worker = None
        self.document.fail_loading(Cancelled(), cancelled=True)
