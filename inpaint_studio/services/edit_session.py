"""The edit session: keeping versions, undo/redo and crossfade changes on the open song.

It owns the song's `EditStack` and the versions on offer (from jobs or the compare panel). Every
change of the samples runs in a `Worker` (splice in place, segment file, new peaks) and is then
shown through `DocumentModel.replace_audio`; operations asked for while one runs are queued, so
they happen in order and the GUI thread never waits. Only workers touch the stack; the GUI reads
a copy of its entries and position taken when each operation has finished. A lock serialises
writers of the buffer (splices) and its readers off the GUI thread (upload copies, exports)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.heard_span import heard_span
from inpaint_studio.core.history import Edit, EditStack, KeepEdit, RegionEdit
from inpaint_studio.core.peaks import PeakPyramid
from inpaint_studio.core.project import rebuild_stack, write_segment
from inpaint_studio.core.splice import DEFAULT_CROSSFADE_S, conform
from inpaint_studio.services.document import DocumentModel, RegionModel
from inpaint_studio.services.worker import WorkContext, Worker, WorkerPool

Region = tuple[float, float]
_TOLERANCE_S = 0.0005


class SongChanged(RuntimeError):
    """The song was edited between Submit and the writing of the job's upload. Nothing was
    sent (`nothing_sent`), so the job can only be submitted again."""

    nothing_sent = True

    def __init__(self) -> None:
        super().__init__("The song was changed (a keep, undo or redo) after Submit, before its "
                         "upload was written, so nothing was sent. Submit again to send the song "
                         "as it is now.")


@dataclass(frozen=True)
class EditDone:
    """What an edit worker hands back to the GUI thread."""

    stack: EditStack  # the stack edited (to tell a stale result from another song's)
    span: tuple[int, int] | None = None  # the frames whose samples changed, if any
    peaks: PeakPyramid | None = None  # the song's new waveform summary, when `span` is set
    edit: Edit | None = None  # the edit kept, undone or redone
    region: Region | None = None  # where the region now stands ...
    region_known: bool = False  # ... when the history says so (a jump)
    then: Callable[[], None] | None = None  # to call once shown (a project's edits rebuilt)


@dataclass
class Offer:
    """A version that can be kept: `audio` on the song's timeline, made for `region`."""

    index: int
    audio: Audio
    region: Region
    source: dict[str, Any] = field(default_factory=dict)
    # `region` widened to where the version departs from the song (core/heard_span.py): what a
    # keep in the version's own region replaces. None until measured (in a worker).
    heard: Region | None = None


class EditSession(QObject):
    """Keeps versions and moves through the history of the document's song."""

    history_changed = Signal()
    offers_changed = Signal()
    busy_changed = Signal(bool)
    edited = Signal(int, int)  # frames (lo, hi) that changed, once shown
    failed = Signal(str, str)  # title, message
    audition_requested = Signal(float, float)  # seconds: play this span (around a seam)
    done = Signal(str, object)  # operation ("keep", "undo", "redo", "jump", …), its Edit or None

    def __init__(self, document: DocumentModel, region: RegionModel, workers: WorkerPool,
                 segment_dir: Callable[[], Path], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.region = region
        self.workers = workers
        self.segment_dir = segment_dir
        self.lock = threading.Lock()
        self._generation = 0  # edits asked for so far (see upload_writer)
        self.stack: EditStack | None = None
        self._entries: list[Edit] = []  # the GUI's copy of stack.entries / stack.position
        self._position = 0
        self.offers: dict[int, Offer] = {}
        self.segment_files: dict[str, Path] = {}
        self.crossfade_s = DEFAULT_CROSSFADE_S
        self._queue: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = []
        self._busy = False
        self._moving_region = False
        self._last_region: Region | None = None
        document.loaded.connect(self._on_loaded)
        document.closed.connect(self._on_closed)
        document.loading_started.connect(lambda _path: self._on_closed())
        region.committed.connect(self._on_region_committed)
        if document.state == "ready" and document.audio is not None:
            self._on_loaded()  # installed after the song was opened

    # -- state ---------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy

    def is_edited(self) -> bool:
        """Whether any kept version is applied to the song now."""
        return any(isinstance(e, KeepEdit) for e in self._entries[: self._position])

    def entries(self) -> list[Edit]:
        return list(self._entries)

    @property
    def position(self) -> int:
        return self._position

    def can_undo(self) -> bool:
        return self._position > 0

    def can_redo(self) -> bool:
        return self._position < len(self._entries)

    def latest_keep(self) -> KeepEdit | None:
        keeps = [e for e in self._entries[: self._position] if isinstance(e, KeepEdit)]
        return keeps[-1] if keeps else None

    def _sync(self) -> None:
        """Take the GUI's copy of the history (GUI thread, no worker running on the stack)."""
        stack = self.stack
        self._entries = list(stack.entries) if stack is not None else []
        self._position = stack.position if stack is not None else 0

    # -- offers --------------------------------------------------------------------------------
    def offer(self, version_index: int, aligned_audio: Audio, region: Region,
              source: dict[str, Any] | None = None) -> None:
        """Offer version `version_index` (on the song's timeline) for keeping in `region`."""
        src = {"version": version_index, **(source or {})}
        offer = Offer(version_index, aligned_audio, (float(region[0]), float(region[1])), src)
        self.offers[version_index] = offer
        self.offers_changed.emit()
        self._measure_heard(offer)

    def _measure_heard(self, offer: Offer) -> None:
        """Measure, in a worker, the span a keep of `offer` in its own region replaces, so that
        every view can show it before the keep (and the keep uses the very same span)."""
        stack = self.stack
        if stack is None:
            return

        def measure(_ctx: WorkContext) -> Region:
            with self.lock:  # a keep may be splicing the song right now
                version = conform(offer.audio, stack.song.sample_rate, stack.song.channels)
                return heard_span(stack.song, version, *offer.region)

        def measured(span: Region) -> None:
            if self.offers.get(offer.index) is offer and self.stack is stack:
                offer.heard = (float(span[0]), float(span[1]))
                self.offers_changed.emit()

        worker = self.workers.run(measure, name=f"heard span v{offer.index}")
        worker.returned.connect(measured)

    def keep_span(self, version_index: int) -> Region | None:
        """The span a keep of this version would replace now, seam to seam: the region, whose
        edges that are the version's own move out to where the version departs from the song
        (as measured when it was offered). None when it cannot be kept here."""
        region = self.keep_region(version_index)
        if region is None:
            return None
        offer = self.offers[version_index]
        if offer.heard is None:
            return region
        left = abs(region[0] - offer.region[0]) <= _TOLERANCE_S
        right = abs(region[1] - offer.region[1]) <= _TOLERANCE_S
        return (offer.heard[0] if left else region[0], offer.heard[1] if right else region[1])

    def keep_spans(self) -> dict[int, Region]:
        """`keep_span` of every version on offer that can be kept here."""
        spans = {i: self.keep_span(i) for i in sorted(self.offers)}
        return {i: span for i, span in spans.items() if span is not None}

    def clear_offers(self) -> None:
        if self.offers:
            self.offers.clear()
            self.offers_changed.emit()

    def keep_region(self, version_index: int) -> Region | None:
        """The region a keep of this version would replace now: the current region when it lies
        within the version's, else None (the version was made for another region)."""
        offer = self.offers.get(version_index)
        current = self.region.region
        if offer is None or current is None or self.stack is None:
            return None
        a, b = offer.region
        if current.start >= a - _TOLERANCE_S and current.end <= b + _TOLERANCE_S:
            return (current.start, current.end)
        return None

    # -- operations ----------------------------------------------------------------------------
    def keep(self, version_index: int) -> bool:
        """Keep a version in the current region (queued when busy). False when not possible."""
        region = self.keep_region(version_index)
        if region is None:
            return False
        offer = self.offers[version_index]
        # Where the region is the version's own, its edges may widen to the version's seams (what
        # was auditioned); a region the musician narrowed is kept exactly as selected. Measured
        # already (when offered): keep exactly the span every view shows.
        edges = (abs(region[0] - offer.region[0]) <= _TOLERANCE_S,
                 abs(region[1] - offer.region[1]) <= _TOLERANCE_S)
        if offer.heard is not None:
            region, edges = self.keep_span(version_index) or region, (False, False)
        self._enqueue("keep", self._do_keep, offer.audio, region, self.crossfade_s,
                      dict(offer.source), edges)
        return True

    def undo(self) -> None:
        self._enqueue("undo", self._do_move, True)

    def redo(self) -> None:
        self._enqueue("redo", self._do_move, False)

    def jump(self, position: int) -> None:
        """Undo or redo as many steps as it takes to stand at `position` (one worker, one
        redraw)."""
        self._enqueue("jump", self._do_jump, int(position))

    def set_crossfade_ms(self, ms: float, adjust_latest: bool = True) -> None:
        """Set the crossfade for the next keeps; with `adjust_latest`, re-splice the latest kept
        version with it too (and ask for an audition of its left seam)."""
        self.crossfade_s = max(0.0, float(ms)) / 1000.0
        latest = self.latest_keep()
        changed = latest is not None and abs(latest.crossfade_s - self.crossfade_s) > 1e-9
        if adjust_latest and changed:
            self._enqueue("crossfade", self._do_crossfade, self.crossfade_s)

    def rebuild(self, records: list[dict[str, Any]], position: int,
                on_done: Callable[[], None] | None = None) -> None:
        """Re-apply a project's edits to the freshly loaded song (queued like any edit)."""
        self._enqueue("open", self._do_rebuild, records, position, on_done)

    def upload_writer(self) -> Callable[[Path, CancelToken], None]:
        """At Submit (GUI thread): a writer of the song as it stands now, for the job's upload.
        It runs later in a worker; if an edit (keep, undo, redo…) was asked for in between, it
        raises `SongChanged` instead of sending a song the musician did not submit."""
        generation = self._generation

        def write(target: Path, token: CancelToken) -> None:
            with self.lock:  # edits change the samples under this lock
                if self._generation != generation:
                    raise SongChanged()
                audio = self.document.audio
                if audio is None:
                    raise RuntimeError("no song is open")
                encode_audio(audio, target, token=token)

        return write

    # -- the queue -----------------------------------------------------------------------------
    def _enqueue(self, name: str, fn: Callable[..., Any], *args: Any) -> None:
        if self.stack is None:
            return
        if name != "region":
            self._generation += 1  # the samples will change: uploads made for before go stale
        self._queue.append((name, fn, args))
        if not self._busy:
            self._next()

    def _next(self) -> None:
        if not self._queue:
            self._set_busy(False)
            return
        name, fn, args = self._queue.pop(0)
        self._set_busy(True)
        # Connect before starting: a fast worker could otherwise emit before anyone listens.
        worker = Worker(fn, self.stack, *args, name=f"edit: {name}")
        worker.returned.connect(lambda result, n=name: self._done(n, result))
        worker.errored.connect(lambda exc, n=name: self._error(n, exc))
        worker.cancelled.connect(self._next)
        self.workers.start(worker)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def _done(self, name: str, result: EditDone) -> None:
        try:
            self._show(name, result)
        finally:
            self._next()  # whatever a listener does, the queue keeps moving

    def _show(self, name: str, result: EditDone) -> None:
        stack, span = result.stack, result.span
        audio = self.document.audio
        if stack is not self.stack or audio is None or audio.samples is not stack.song.samples:
            return  # another song was opened meanwhile
        self._sync()
        if span is not None:
            # A new `Audio` over the same buffer: views and the player see a changed song (they
            # compare identities) without a copy of the samples.
            self.document.replace_audio(Audio(stack.song.samples, stack.song.sample_rate),
                                        result.peaks)
            self.edited.emit(*span)
        if isinstance(result.edit, RegionEdit):
            self.restore_region(result.edit.before if name == "undo" else result.edit.after)
        elif result.region_known:
            self.restore_region(result.region)
        elif name == "crossfade" and span is not None:
            edit = self.latest_keep()
            if edit is not None:
                seam = edit.plan.start / stack.song.sample_rate
                self.audition_requested.emit(max(0.0, seam - 1.5), seam + 1.5)
        self.history_changed.emit()
        if result.then is not None:
            result.then()  # after history_changed, so the project is not marked as changed
        self.done.emit(name, result.edit)

    def _error(self, name: str, exc: BaseException) -> None:
        titles = {"keep": "Could not keep the version", "undo": "Could not undo",
                  "redo": "Could not redo", "crossfade": "Could not change the crossfade",
                  "open": "Could not restore the project's edits"}
        try:
            self._sync()
            self.failed.emit(titles.get(name, "Edit failed"), str(exc))
            self.history_changed.emit()
        finally:
            self._next()

    # -- worker bodies (worker thread) ---------------------------------------------------------
    def _peaks(self, stack: EditStack) -> PeakPyramid:
        return PeakPyramid.from_samples(stack.song.samples, stack.song.sample_rate)

    def _do_keep(self, ctx: WorkContext, stack: EditStack, audio: Audio, region: Region,
                 crossfade_s: float, source: dict[str, Any],
                 edges: tuple[bool, bool] = (False, False)) -> EditDone:
        with self.lock:
            if any(edges):
                version = conform(audio, stack.song.sample_rate, stack.song.channels)
                region = heard_span(stack.song, version, region[0], region[1], left=edges[0],
                                    right=edges[1])
            edit = stack.keep(audio, region, crossfade_s, source)
        self.segment_files[edit.id] = write_segment(edit.segment, stack.song.sample_rate,
                                                    self.segment_dir(), edit.id)
        return EditDone(stack, (edit.plan.lo, edit.plan.hi), self._peaks(stack), edit)

    def _do_move(self, ctx: WorkContext, stack: EditStack, undo: bool) -> EditDone:
        if not (stack.can_undo if undo else stack.can_redo):
            return EditDone(stack)
        with self.lock:
            edit, span = stack.undo() if undo else stack.redo()
        peaks = self._peaks(stack) if span is not None else None
        return EditDone(stack, span, peaks, edit)

    def _do_region(self, ctx: WorkContext, stack: EditStack, before: Region | None,
                   after: Region | None) -> EditDone:
        stack.record_region(before, after)
        return EditDone(stack)

    def _do_jump(self, ctx: WorkContext, stack: EditStack, position: int) -> EditDone:
        position = max(0, min(position, len(stack.entries)))
        lo, hi = stack.song.frames, 0
        with self.lock:
            while stack.position != position:
                _, span = stack.undo() if stack.position > position else stack.redo()
                if span is not None:
                    lo, hi = min(lo, span[0]), max(hi, span[1])
        regions = [e for e in stack.entries if isinstance(e, RegionEdit)]
        applied = [e for e in stack.entries[: stack.position] if isinstance(e, RegionEdit)]
        # The region as it stood at `position`: after the last region change applied, or before
        # the first one when none is; untouched when the history holds no region changes.
        region = (applied[-1].after if applied else regions[0].before) if regions else None
        changed = hi > lo
        return EditDone(stack, (lo, hi) if changed else None,
                        self._peaks(stack) if changed else None,
                        region=region, region_known=bool(regions))

    def _do_crossfade(self, ctx: WorkContext, stack: EditStack, crossfade_s: float
                      ) -> EditDone:
        with self.lock:
            span = stack.set_crossfade(crossfade_s)
        return EditDone(stack, span, self._peaks(stack))

    def _do_rebuild(self, ctx: WorkContext, stack: EditStack, records: list[dict[str, Any]],
                    position: int, on_done: Callable[[], None] | None) -> EditDone:
        song = stack.song
        with self.lock:
            rebuilt = rebuild_stack(song, records, position, token=ctx.token)
        stack.entries, stack.position = rebuilt.entries, rebuilt.position
        for rec in records:
            if rec.get("kind") == "keep":
                self.segment_files[rec["id"]] = Path(rec["segment_file"])
        return EditDone(stack, (0, song.frames), self._peaks(stack), then=on_done)

    # -- regions and documents -----------------------------------------------------------------
    def restore_region(self, region: Region | None, *, report: bool = True) -> None:
        """Put the region back (an undo, a project opened) without recording the move as an
        edit. A region the song cannot hold is reported (`failed`) unless `report` is False."""
        self._moving_region = True
        try:
            if region is None:
                self.region.clear()
            else:
                self.region.set(*region)
        except ValueError as exc:
            if report:
                self.failed.emit("Could not restore the region", str(exc))
        finally:
            self._moving_region = False
            now = self.region.region
            self._last_region = None if now is None else (float(now.start), float(now.end))

    def _on_region_committed(self, region: Any) -> None:
        now = None if region is None else (float(region.start), float(region.end))
        before, self._last_region = self._last_region, now
        if self._moving_region or self.stack is None or before == now:
            return
        # Queued like every edit: a worker may be re-splicing the stack right now.
        self._enqueue("region", self._do_region, before, now)

    def _on_loaded(self) -> None:
        audio = self.document.audio
        self.stack = EditStack(audio) if audio is not None else None
        self._sync()
        self.offers.clear()
        self.segment_files.clear()
        self._queue.clear()
        self._last_region = None
        self.offers_changed.emit()
        self.history_changed.emit()

    def _on_closed(self) -> None:
        self.stack = None
        self._sync()
        self.offers.clear()
        self._queue.clear()
        self.offers_changed.emit()
        self.history_changed.emit()
