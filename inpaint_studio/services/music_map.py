"""The song's musical map in the editor: `MusicMapService` computes it (musicmap.analyze) in a
worker right after a song has loaded, from the on-disk cache when the same file was mapped
before, and delivers it by signal; the waveform never waits for it.

The worker hashes the file's bytes (musicmap.cache.file_key) and looks the key up; only a miss
analyses, and it analyses the samples the loader already decoded (no second decode), in a
spawned process (map_process.py) so the GUI thread never competes with it for the interpreter.
The musicmap package (numpy/scipy-heavy) is imported inside the worker, never before the first
paint. The helpers below (`snap`, `parse_position`, …) are what the GUI uses on a map it has
been given; they import musicmap.grid on their first call, which can only come once a map
exists, so the package is loaded by then."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from inpaint_studio.core.audio import Audio
from inpaint_studio.services.document import DocumentModel
from inpaint_studio.services.worker import OneWorkerAtATime, WorkContext, Worker, WorkerPool

if TYPE_CHECKING:
    from inpaint_studio.musicmap.model import MusicMap

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MapProgress:
    """Partial result: the fraction done and the analysis step ("features", "beats", …)."""

    fraction: float
    stage: str


@dataclass(frozen=True)
class MapReady:
    """The worker's result: the map of the song at `path`; `cached` when it came from the
    cache (nothing was analysed); `pid` of the process that analysed it (None when cached)."""

    path: str
    map: MusicMap
    cached: bool
    pid: int | None = None


@dataclass(frozen=True)
class MapMiss:
    """The worker's result of a cache lookup that found nothing: the file's cache key."""

    path: str
    key: str


def compute_map(ctx: WorkContext, path: str, audio: Audio | None, cache_dir: Path,
                in_process: bool = True, *, lookup_only: bool = False,
                key: str | None = None) -> MapReady | MapMiss:
    """Worker body: the map of `path` from the cache, else (unless `lookup_only`: then a
    `MapMiss`) analysed from `audio` (decoded here when None) in a spawned process
    (`in_process`, see map_process.py) or on this thread, and stored. Emits `MapProgress`."""
    from inpaint_studio.musicmap import cache  # noqa: PLC0415 - heavy: in the worker
    from inpaint_studio.musicmap.model import MusicMap  # noqa: PLC0415

    if key is None:
        key = cache.file_key(path)
        ctx.token.raise_if_cancelled()
        hit = cache.load(cache_dir, key)
        if hit is not None:
            ctx.emit(MapProgress(1.0, "cached"))
            return MapReady(path, hit, True)
    if lookup_only:
        return MapMiss(path, key)

    def progress(fraction: float, stage: str) -> None:
        ctx.emit(MapProgress(fraction, stage))

    if audio is None:
        from inpaint_studio.core.decode import load_audio  # noqa: PLC0415

        progress(0.0, "decoding")
        audio = load_audio(path, ctx.token)
    if in_process:
        from inpaint_studio.services import map_process  # noqa: PLC0415

        progress(0.0, "starting")
        data, pid = map_process.run_analysis(audio, cache_dir, key, ctx.token, progress)
        return MapReady(path, MusicMap.from_dict(data), False, pid)
    from inpaint_studio.musicmap import pipeline  # noqa: PLC0415

    result = pipeline.analyze_cached(audio, cache_dir, ctx.token, progress, key=key)
    return MapReady(path, result, False, os.getpid())


class MusicMapService(OneWorkerAtATime):
    """The map of the open song. When a song starts loading, a worker looks its file up in the
    cache (so a song mapped before shows its map while it still decodes); on a miss the
    analysis starts once the song has decoded. A new song cancels the previous work and clears
    the map. `ready(MapReady)` when the map is known, `progressed` while it is computed,
    `cleared` when the song it belonged to is gone, `failed(message)`."""

    started = Signal(str)  # path
    progressed = Signal(float, str)  # fraction, stage
    ready = Signal(object)  # MapReady
    cleared = Signal()
    failed = Signal(str)

    def __init__(self, document: DocumentModel, workers: WorkerPool, cache_dir: Path,
                 parent: QObject | None = None, *, in_process: bool = True,
                 enabled: bool = True) -> None:
        super().__init__(workers, parent)
        self.document = document
        self.cache_dir = Path(cache_dir)
        self.in_process = in_process  # analyse in a spawned process (else on the pool thread)
        self.enabled = enabled  # False: songs are not mapped (tests that are not about the map)
        self.current: MapReady | None = None
        self.analysed = 0  # maps computed (not read from the cache): tests, diagnostics
        self.started_count = 0  # workers started
        self._miss: MapMiss | None = None  # the open song is not in the cache (its key)
        document.loading_started.connect(self._on_loading_started)
        document.closed.connect(self._on_song_changing)
        document.loaded.connect(self._on_loaded)

    @property
    def map(self) -> MusicMap | None:
        return None if self.current is None else self.current.map

    def compute(self, path: str | os.PathLike[str], audio: Audio | None = None, *,
                lookup_only: bool = False, key: str | None = None) -> Worker:
        """Map `path` (using `audio`, its decoded samples, on a cache miss); `lookup_only`
        stops at the cache (a miss then waits for the song to decode); `key` skips the
        lookup (a known miss)."""
        self.cancel()
        path = os.fspath(path)
        worker = Worker(compute_map, path, audio, self.cache_dir, self.in_process,
                        lookup_only=lookup_only, key=key, name="music map")
        worker.partial.connect(lambda msg, w=worker: self._on_partial(w, msg))
        worker.returned.connect(lambda result, w=worker: self._on_returned(w, result))
        worker.errored.connect(lambda exc, w=worker: self._on_errored(w, exc))
        worker.cancelled.connect(lambda w=worker: self._on_cancelled(w))
        self.worker = worker
        self.started_count += 1
        self.workers.start(worker)
        self.started.emit(path)
        return worker

    # -- document ----------------------------------------------------------------------------
    def _on_song_changing(self, *_: object) -> None:
        self.cancel()
        self.worker = None
        self._miss = None
        if self.current is not None:
            self.current = None
            self.cleared.emit()

    def _on_loading_started(self, path: str) -> None:
        self._on_song_changing()
        if self.enabled and os.path.isfile(path):
            self.compute(path, lookup_only=True)

    def _on_loaded(self) -> None:
        path = self.document.path
        if not self.enabled or not path or (self.current is not None and self.current.path == path):
            return  # shown from the cache already
        if self.worker is not None:
            return  # the lookup is still running: its miss starts the analysis
        miss = self._miss if self._miss is not None and self._miss.path == path else None
        self.compute(path, self.document.audio, key=miss.key if miss else None)

    # -- worker signals (GUI thread); a superseded worker's are ignored -------------------------
    def _on_partial(self, worker: Worker, msg: MapProgress) -> None:
        if worker is self.worker:
            self.progressed.emit(msg.fraction, msg.stage)

    def _on_returned(self, worker: Worker, result: MapReady | MapMiss) -> None:
        if worker is not self.worker:
            return
        self.worker = None
        if isinstance(result, MapMiss):
            self._miss = result
            doc = self.document
            if doc.state == "ready" and doc.path == result.path:  # decoded meanwhile
                self.compute(result.path, doc.audio, key=result.key)
            return
        if not result.cached:
            self.analysed += 1
        self.current = result
        self.ready.emit(result)

    def _on_errored(self, worker: Worker, exc: BaseException) -> None:
        if worker is not self.worker:
            return
        self.worker = None
        log.warning("music map failed: %s", exc)
        self.failed.emit(str(exc) or type(exc).__name__)

    def _on_cancelled(self, worker: Worker) -> None:
        if worker is self.worker:
            self.worker = None


# -- bars and beats on a map the GUI holds (musicmap.grid, loaded by the worker already) -------
def _grid() -> Any:
    from inpaint_studio.musicmap import grid  # noqa: PLC0415 - loaded by the worker by now

    return grid


def has_grid(m: MusicMap | None) -> bool:
    return m is not None and m.steady_beat and bool(m.downbeats)


def snap(m: MusicMap, t: float, unit: str) -> float:
    """The nearest bar line ("bar") or beat ("beat") to `t`; `t` without a grid."""
    return float(_grid().snap(m, t, unit))


def parse_position(m: MusicMap, text: str) -> float:
    """"33.1" → seconds (ValueError for other text or a bar the song does not have)."""
    return float(_grid().parse_position(m, text))


def parse_length(m: MusicMap, text: str, start: float) -> float:
    """"4 bars" / "6 beats" from `start` → seconds (ValueError otherwise)."""
    return float(_grid().parse_length(m, text, start))


def format_position(m: MusicMap, t: float) -> str | None:
    """"33.1" for the beat at or before `t` (None before bar 1 or without a grid)."""
    return _grid().format_position(m, t)


