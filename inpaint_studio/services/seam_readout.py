"""What the compare panel shows next to each version: where it differs from the original, how
loud it is against it, and the engine's seam metrics (engine/metrics.py) on the version as returned,
next to the original's own values at the same instants.

`analyse_versions` is plain Python for a worker: it yields one `VersionReadout` per version as
soon as its quick part is known (changed spans, loudness) and then again with the metrics.
`SeamReadout` runs it through the one worker pattern and re-emits the results as signals."""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from inpaint_studio.core.audio import Audio
from inpaint_studio.services.worker import Worker, WorkerPool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VersionReadout:
    """One version against the original: `changed` spans (s), the loudness-matching gain (dB),
    and `metrics` (engine.metrics.measure's dict: version and original values, gates) or None
    while they are computed; `metrics_error` says why there are none."""

    name: str
    changed: list[tuple[float, float]] = field(default_factory=list)
    match_gain_db: float = 0.0
    metrics: dict[str, Any] | None = None
    metrics_error: str | None = None


def analyse_versions(ctx: Any, original: Audio, versions: Mapping[str, Audio],
                     region: tuple[float, float] | None) -> Generator[VersionReadout, None, int]:
    """Yield each version's quick readout, then each again with its seam metrics. Returns the
    number of versions. Cancellation is honoured between steps."""
    # Imported here, in the worker: they pull in scipy, which the window's start need not wait for.
    from inpaint_studio.core.align import changed_spans
    from inpaint_studio.core.loudness import matching_gains_db

    gains = matching_gains_db(original, versions, region)
    quick: dict[str, VersionReadout] = {}
    for name, audio in versions.items():
        ctx.token.raise_if_cancelled()
        spans = changed_spans(original, audio)
        quick[name] = VersionReadout(name, spans, gains.get(name, 0.0))
        yield quick[name]
    if region is None:
        return len(quick)
    # The engine's measures need the original's analysis once; they run on the versions as
    # returned (aligned), at the region's edges, the seams a musician hears.
    try:
        from inpaint_studio.engine.analysis import analyse
        from inpaint_studio.engine.beats import beat_grid
        from inpaint_studio.engine.jumps import JumpTable
        from inpaint_studio.engine.metrics import measure

        analysis = analyse(original)
        grid = beat_grid(analysis)
        jumps = JumpTable.of(analysis, grid)
    except Exception as exc:  # noqa: BLE001 - an unanalysable song still gets its quick readout
        log.warning("seam metrics unavailable", exc_info=True)
        for item in quick.values():
            yield replace(item, metrics_error=f"the song could not be analysed ({exc})")
        return len(quick)
    for name, audio in versions.items():
        ctx.token.raise_if_cancelled()
        try:
            metrics = measure(original, audio, [region[0], region[1]], analysis=analysis,
                              grid=grid, jumps=jumps)
            yield replace(quick[name], metrics=metrics)
        except Exception as exc:  # noqa: BLE001 - one version's failure must not hide the other
            log.warning("seam metrics of %s failed", name, exc_info=True)
            yield replace(quick[name], metrics_error=str(exc) or type(exc).__name__)
    return len(quick)


# what each failed gate means, in a musician's words
GATE_WORDS = {
    "seam": "a cut is audible at a seam",
    "beat_phase": "the beat slips at a seam",
    "beat_slip": "the beat slips at a seam",
    "loudness": "the level does not match the original",
    "timbre": "the sound changes abruptly at a seam",
    "harmony": "the harmony changes abruptly at a seam",
    "onsets": "a hit is doubled or dropped at a seam",
    "level": "the level jumps at a seam",
    "ending": "the song's ending (its last chord and decay) is not kept",
}


def verdict_text(metrics: Mapping[str, Any]) -> str:
    """The Seams panel's verdict on one version, from the engine's own verdict (`passed`):
    "Seams sound natural" only when it passed, otherwise what to listen for, in plain words."""
    gates = metrics.get("gates", {})
    counted = metrics.get("counted", list(gates))  # the gates the verdict is made of
    failed = [k for k in counted if gates.get(k) is False]
    if metrics.get("passed") and not failed:
        return "Seams sound natural"
    words = [GATE_WORDS.get(k, k.replace("_", " ")) for k in failed]
    return "Listen to it: " + ("; ".join(words) if words else "it did not pass the engine's "
                                                              "checks")


class SeamReadout(QObject):
    """Runs `analyse_versions` on a worker; `updated(VersionReadout)` per result, `finished`
    at the end. A new `compute` cancels the previous one."""

    updated = Signal(object)  # VersionReadout
    finished = Signal()
    failed = Signal(str)

    def __init__(self, pool: WorkerPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.results: dict[str, VersionReadout] = {}
        self._worker: Worker | None = None

    def compute(self, original: Audio, versions: Mapping[str, Audio],
                region: tuple[float, float] | None) -> Worker:
        self.cancel()
        self.results = {}
        worker = Worker(analyse_versions, original, dict(versions), region, name="seam readout")
        self._worker = worker
        worker.partial.connect(lambda item, w=worker: self._partial(w, item))
        worker.errored.connect(
            lambda exc, w=worker: w is self._worker and self.failed.emit(str(exc)))
        worker.finished.connect(lambda w=worker: w is self._worker and self.finished.emit())
        return self.pool.start(worker)

    def _partial(self, worker: Worker, item: VersionReadout) -> None:
        if worker is not self._worker:
            return
        self.results[item.name] = item
        self.updated.emit(item)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
