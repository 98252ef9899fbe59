"""What the engine hands back: full-length versions with JSON-serialisable metadata."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from inpaint_studio.core.audio import Audio


class FillVersion:
    """One version: the whole song with the region replaced (same rate/channels as the input).

    `meta` holds seams (s), sources, metrics, confidence ("ok"/"low") and notes.

    `audio` is either given, or made on demand by a function (the local engine keeps only the
    fill and splices it into the song when asked): a made version is held weakly, so the same
    object comes back while a caller holds it, and a caller that writes the versions one at a
    time never holds two whole copies of the song at once."""

    def __init__(self, audio: Audio | Callable[[], Audio] | None, meta: dict) -> None:
        self.meta = meta
        self._audio = None if callable(audio) else audio
        self._make = audio if callable(audio) else None
        self._ref: weakref.ref[Audio] | None = None

    @property
    def audio(self) -> Audio:
        if self._make is None:
            return self._audio  # type: ignore[return-value]
        made = self._ref() if self._ref is not None else None
        if made is None:
            made = self._make()
            self._ref = weakref.ref(made)
        return made

    def __repr__(self) -> str:
        return f"FillVersion(meta={self.meta!r})"


@dataclass
class FillResult:
    versions: list[FillVersion]
    timings: dict[str, float] = field(default_factory=dict)  # stage → seconds
    notes: list[str] = field(default_factory=list)
