"""The edit stack: undo and redo over kept versions and region changes.

The stack owns the song buffer it edits and changes it in place. A `KeepEdit` remembers only
what it needs to be undone and redone: the song's frames it overwrote (`previous`, while it is
applied) and the version's frames around its region (`segment`, with room for the longest
crossfade), never whole copies of the song. A `RegionEdit` remembers a region before and after
a change; the stack only records it (the caller moves the region). Headless: no Qt."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.splice import (
    DEFAULT_CROSSFADE_S,
    MAX_CROSSFADE_S,
    SpliceError,
    SplicePlan,
    conform,
    plan_splice,
    restore,
    splice_in_place,
)
from inpaint_studio.core.timefmt import format_time

Region = tuple[float, float]


@dataclass(eq=False)
class KeepEdit:
    """One kept version: its region, crossfade, where it came from (`source`, JSON-serialisable:
    job id, version index, result file...), and the version's frames from song frame `offset`."""

    region: Region
    crossfade_s: float
    source: dict[str, Any]
    segment: np.ndarray
    offset: int
    plan: SplicePlan
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    previous: np.ndarray | None = None  # the song's frames [plan.lo, plan.hi) while applied
    kind: str = "keep"

    @property
    def name(self) -> str:
        """The version kept, as the musician knows it ("Version 2")."""
        if "version" in self.source:
            return f"Version {self.source['version']}"
        return self.source.get("label") or "Version"

    @property
    def span_text(self) -> str:
        """The one span of this keep, as every view shows it: where the song was replaced, from
        seam to seam (the centres of the crossfades)."""
        return span_text(self.region)

    @property
    def label(self) -> str:
        """"Keep Version 2 “warm piano” 0:09.620–0:14.290 (crossfade 30 ms)": the version, the
        prompt it was made from (no raw ids), the span."""
        prompt = str(self.source.get("prompt") or "").strip()
        if len(prompt) > 30:
            prompt = prompt[:29].rstrip() + "…"
        what = f"{self.name} “{prompt}”" if prompt else self.name
        return f"Keep {what} {self.span_text} (crossfade {self.crossfade_s * 1000:.0f} ms)"

    def version_audio(self, sample_rate: int) -> Audio:
        return Audio(self.segment, sample_rate)

    @property
    def nbytes(self) -> int:
        return self.segment.nbytes + (0 if self.previous is None else self.previous.nbytes)


@dataclass(eq=False)
class RegionEdit:
    """A change of the selected region (`None` means no region)."""

    before: Region | None
    after: Region | None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    kind: str = "region"

    @property
    def label(self) -> str:
        if self.after is None:
            return "Clear region"
        return f"Select {span_text(self.after)}"

    nbytes = 0


Edit = KeepEdit | RegionEdit


def span_text(span: Region) -> str:
    """A span as every view of an edit writes it: `m:ss.mmm–m:ss.mmm`."""
    return f"{format_time(max(0.0, span[0]))}–{format_time(max(0.0, span[1]))}"


class EditStack:
    """Undo/redo over edits of one song. `entries[:position]` are applied, the rest can be redone.

    Every method that changes the song returns the frames `(lo, hi)` it touched (or None), so a
    view can redraw only that span."""

    def __init__(self, song: Audio) -> None:
        self.song = song
        self.entries: list[Edit] = []
        self.position = 0

    # -- queries ---------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return self.position > 0

    @property
    def can_redo(self) -> bool:
        return self.position < len(self.entries)

    @property
    def applied(self) -> list[Edit]:
        return self.entries[: self.position]

    def keeps(self) -> Iterator[KeepEdit]:
        return (e for e in self.entries if isinstance(e, KeepEdit))

    @property
    def nbytes(self) -> int:
        return sum(e.nbytes for e in self.entries)

    def last_keep_index(self) -> int | None:
        """Index of the most recent applied keep, or None."""
        for i in range(self.position - 1, -1, -1):
            if isinstance(self.entries[i], KeepEdit):
                return i
        return None

    # -- recording -------------------------------------------------------------------------
    def keep(self, version: Audio, region: Region, crossfade_s: float = DEFAULT_CROSSFADE_S,
             source: dict[str, Any] | None = None, version_offset: int = 0) -> KeepEdit:
        """Splice `region` of `version` (on the song's timeline from song frame `version_offset`)
        into the song, push it, and drop anything that could be redone."""
        version = conform(version, self.song.sample_rate, self.song.channels)
        rate = self.song.sample_rate
        plan = plan_splice(self.song.frames, rate, region[0], region[1], crossfade_s)
        margin = math.ceil(MAX_CROSSFADE_S * rate / 2) + 1
        seg_lo = max(plan.start - margin, version_offset)
        seg_hi = min(plan.end + margin, version_offset + version.frames, self.song.frames)
        if seg_lo > plan.lo or seg_hi < plan.hi:
            raise SpliceError(
                "The version does not cover the region; align it to the song before keeping it."
            )
        segment = version.samples[:, seg_lo - version_offset : seg_hi - version_offset].copy()
        edit = KeepEdit(region=(float(region[0]), float(region[1])), crossfade_s=crossfade_s,
                        source=dict(source or {}), segment=segment, offset=seg_lo, plan=plan)
        self._push(edit)
        self._apply(edit)
        return edit

    def add_keep(self, edit: KeepEdit, apply: bool = True) -> None:
        """Append an edit rebuilt from a project (applied, or left to be redone)."""
        if apply and self.position != len(self.entries):
            raise ValueError("applied edits must come before the ones to redo")
        self.entries.append(edit)
        if apply:
            self._apply(edit)

    def add_region(self, edit: RegionEdit, apply: bool = True) -> None:
        """Append a region change rebuilt from a project."""
        if apply and self.position != len(self.entries):
            raise ValueError("applied edits must come before the ones to redo")
        self.entries.append(edit)
        if apply:
            self.position = len(self.entries)

    def record_region(self, before: Region | None, after: Region | None) -> RegionEdit | None:
        """Record a region change; successive changes merge into one entry. None if no change."""
        if before == after:
            return None
        top = self.entries[self.position - 1] if self.position else None
        if isinstance(top, RegionEdit) and not self.can_redo:
            top.after = after
            if top.before == top.after:
                self.entries.pop()
                self.position -= 1
            return top
        edit = RegionEdit(before=before, after=after)
        self._push(edit)
        self.position += 1
        return edit

    def _push(self, edit: Edit) -> None:
        del self.entries[self.position :]
        self.entries.append(edit)

    # -- moving ----------------------------------------------------------------------------
    def _apply(self, edit: Edit) -> tuple[int, int] | None:
        if isinstance(edit, KeepEdit):
            # Plan afresh: the crossfade may have changed since the edit was first made.
            edit.plan = plan_splice(self.song.frames, self.song.sample_rate, edit.region[0],
                                    edit.region[1], edit.crossfade_s)
            edit.previous = splice_in_place(self.song, edit.version_audio(self.song.sample_rate),
                                            edit.plan, edit.offset)
            self.position = self._index(edit) + 1
            return edit.plan.lo, edit.plan.hi
        self.position = self._index(edit) + 1
        return None

    def _index(self, edit: Edit) -> int:
        return next(i for i, e in enumerate(self.entries) if e is edit)

    def _unapply(self, edit: Edit) -> tuple[int, int] | None:
        if isinstance(edit, KeepEdit):
            assert edit.previous is not None
            restore(self.song, edit.plan, edit.previous)
            edit.previous = None
            return edit.plan.lo, edit.plan.hi
        return None

    def undo(self) -> tuple[Edit, tuple[int, int] | None]:
        """Undo the top applied edit; returns it and the frames it touched."""
        if not self.can_undo:
            raise IndexError("nothing to undo")
        edit = self.entries[self.position - 1]
        span = self._unapply(edit)
        self.position -= 1
        return edit, span

    def redo(self) -> tuple[Edit, tuple[int, int] | None]:
        """Redo the next edit; returns it and the frames it touched."""
        if not self.can_redo:
            raise IndexError("nothing to redo")
        edit = self.entries[self.position]
        span = self._apply(edit)
        return edit, span

    def set_crossfade(self, crossfade_s: float, index: int | None = None) -> tuple[int, int]:
        """Change the crossfade of an applied keep (default: the latest) after the fact. Later
        edits are undone, the keep is re-spliced, and the later edits are redone."""
        index = self.last_keep_index() if index is None else index
        if index is None or index >= self.position:
            raise IndexError("no kept version to adjust")
        edit = self.entries[index]
        if not isinstance(edit, KeepEdit):
            raise IndexError("that edit is not a kept version")
        top = self.position
        lo, hi = self.song.frames, 0
        for i in range(top - 1, index - 1, -1):
            span = self._unapply(self.entries[i])
            if span:
                lo, hi = min(lo, span[0]), max(hi, span[1])
        self.position = index
        edit.crossfade_s = max(0.0, min(float(crossfade_s), MAX_CROSSFADE_S))
        for i in range(index, top):
            span = self._apply(self.entries[i])
            if span:
                lo, hi = min(lo, span[0]), max(hi, span[1])
        return lo, hi
