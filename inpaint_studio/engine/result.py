"""What the engine hands back: full-length versions with JSON-serialisable metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

from inpaint_studio.core.audio import Audio


@dataclass
class FillVersion:
    """One version: the whole song with the region replaced (same rate/channels as the input).

    `meta` holds seams (s), sources, metrics, confidence ("ok"/"low") and notes."""

    audio: Audio
    meta: dict


@dataclass
class FillResult:
    versions: list[FillVersion]
    timings: dict[str, float] = field(default_factory=dict)  # stage → seconds
    notes: list[str] = field(default_factory=list)
