"""The models the window shows: the open song (`DocumentModel`), the region to replace
(`RegionModel`) and the playhead (`PlayheadModel`). They know nothing of views (napari's
`Dims`/`QtDims` split): views subscribe to their signals and call their setters."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Signal

from inpaint_studio.core.audio import Audio, AudioInfo
from inpaint_studio.core.peaks import PeakPyramid
from inpaint_studio.core.region import (
    DEFAULT_LIMITS,
    Region,
    RegionLimits,
    make_region,
    region_warnings,
)


class DocumentModel(QObject):
    """The song being edited. States: "empty" → "loading" → "ready" (or back to "empty").

    While loading, `peaks` grows and `peaks_updated` fires; `audio` is set once decoding ends.
    `changed` fires whenever what is shown changes (loaded, replaced by an edit, closed)."""

    loading_started = Signal(str)  # path
    info_known = Signal(object)  # AudioInfo, as soon as the header is read
    progressed = Signal(float)  # 0..1 (or -1 when the length is unknown)
    peaks_updated = Signal()
    loaded = Signal()
    load_failed = Signal(object)  # the exception
    load_cancelled = Signal()
    changed = Signal()
    closed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = "empty"
        self.path: str | None = None
        self.info: AudioInfo | None = None
        self.audio: Audio | None = None
        self.peaks: PeakPyramid | None = None
        self.progress = 0.0
        self._origins: dict[str, str] = {}  # local copy → the address it was fetched from

    # -- called by the loader ----------------------------------------------------------------------
    def begin_loading(self, path: str) -> None:
        self.state = "loading"
        self.path = os.path.abspath(path)
        self.info = None
        self.audio = None
        self.peaks = None
        self.progress = 0.0
        self.loading_started.emit(self.path)
        self.changed.emit()

    def set_info(self, info: AudioInfo, peaks: PeakPyramid) -> None:
        self.info = info
        self.peaks = peaks
        self.info_known.emit(info)

    def set_progress(self, fraction: float) -> None:
        self.progress = fraction
        self.progressed.emit(fraction)
        self.peaks_updated.emit()

    def finish_loading(self, audio: Audio, peaks: PeakPyramid) -> None:
        self.audio = audio
        self.peaks = peaks
        self.state = "ready"
        self.progress = 1.0
        self.peaks_updated.emit()
        self.loaded.emit()
        self.changed.emit()

    def fail_loading(self, exc: BaseException, cancelled: bool = False) -> None:
        self.state = "empty"
        self.path = None
        self.info = None
        self.audio = None
        self.peaks = None
        if cancelled:
            self.load_cancelled.emit()
        else:
            self.load_failed.emit(exc)
        self.changed.emit()

    # -- edits --------------------------------------------------------------------------------
    def replace_audio(self, audio: Audio, peaks: PeakPyramid | None = None) -> None:
        """Show `audio` (same rate and channels) in place of the current song, e.g. after a version
        was kept. Pass `peaks` when built off the GUI thread; otherwise they are built here."""
        self.audio = audio
        self.peaks = peaks or PeakPyramid.from_samples(audio.samples, audio.sample_rate)
        self.state = "ready"
        self.peaks_updated.emit()
        self.changed.emit()

    def close(self) -> None:
        self.state = "empty"
        self.path = self.info = self.audio = self.peaks = None
        self.closed.emit()
        self.changed.emit()

    # -- facts --------------------------------------------------------------------------------
    def remember_origin(self, path: str | os.PathLike[str], address: str) -> None:
        """`path` is a local copy of the song at `address` (opened from an address)."""
        self._origins[os.path.abspath(path)] = address

    @property
    def source(self) -> str:
        """The song's identity for jobs and projects: the address it came from, else its path
        ("" with no song open)."""
        path = self.path or ""
        return self._origins.get(path, path)

    @property
    def sample_rate(self) -> int:
        if self.audio is not None:
            return self.audio.sample_rate
        return self.info.sample_rate if self.info else 0

    @property
    def duration(self) -> float:
        """Seconds: exact once loaded, the header's figure (or what has decoded) while loading."""
        if self.audio is not None:
            return self.audio.duration
        if self.info is None:
            return 0.0
        decoded = self.peaks.frames / self.info.sample_rate if self.peaks else 0.0
        return max(decoded, self.info.declared_duration or 0.0)


class RegionModel(QObject):
    """The region to replace, or None. `changed` fires on every move (live, while dragging);
    `committed` when a move is finished (mouse released, field edited). `warnings` holds the
    advice for the current region."""

    changed = Signal(object)  # Region | None
    committed = Signal(object)  # Region | None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.region: Region | None = None
        self.duration = 0.0
        self.sample_rate = 0
        self.limits: RegionLimits = DEFAULT_LIMITS
        self.warnings: list[str] = []

    def set_song(self, duration: float, sample_rate: int) -> None:
        """Bound regions to a song; clears the region when it no longer fits."""
        self.duration, self.sample_rate = duration, sample_rate
        if self.region is not None and self.region.end > duration:
            self.clear()

    def validate(self, start: float, end: float) -> Region:
        """The snapped region, or `RegionError` saying why it cannot be used."""
        return make_region(start, end, self.duration, self.sample_rate or 1)

    def set(self, start: float, end: float, final: bool = True) -> Region:
        """Move the region (raises `RegionError` and leaves it as it was when invalid)."""
        region = self.validate(start, end)
        self._apply(region, final)
        return region

    def clear(self) -> None:
        self._apply(None, True)

    def _apply(self, region: Region | None, final: bool) -> None:
        moved = region != self.region
        self.region = region
        self.warnings = region_warnings(region, self.duration, self.limits) if region else []
        if moved:
            self.changed.emit(region)
        if final:
            self.committed.emit(region)


class PlayheadModel(QObject):
    """Where the cursor/playhead is, in seconds. The transport sets it while playing; the views
    set it when the musician clicks (`seek_requested` tells the transport)."""

    moved = Signal(float)
    seek_requested = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.position = 0.0

    def set_position(self, seconds: float) -> None:
        if seconds != self.position:
            self.position = seconds
            self.moved.emit(seconds)

    def seek(self, seconds: float) -> None:
        """A seek asked for by the musician: moves the playhead and tells whoever plays."""
        self.set_position(max(0.0, seconds))
        self.seek_requested.emit(self.position)
