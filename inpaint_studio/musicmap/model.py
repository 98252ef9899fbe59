"""The `MusicMap` dataclass and its JSON form."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

ANALYSIS_VERSION = 4  # bump whenever any analysis step changes its output: the cache keys on it


@dataclass
class MusicMap:
    """What the analysis knows about one song. Times are seconds from the start of the audio.

    With no steady beat (`steady_beat` False) `beats`, `downbeats`, `bar_positions`, `tempo_bpm`
    and `time_signature` are empty/None: no grid is invented."""

    duration: float
    steady_beat: bool
    beat_confidence: float  # 0..1
    tempo_bpm: float | None
    tempo_curve: list[tuple[float, float]]  # (time, bpm) every few seconds
    beats: list[float]
    bar_positions: list[int]  # per beat: 1 = downbeat, 2.. = later beats of the bar
    downbeats: list[float]
    beats_per_bar: int | None
    time_signature: str | None  # "4/4", "3/4", "2/4"
    key: str | None  # "A minor"
    key_confidence: float
    chords: list[tuple[float, float, str]]  # mir_eval-style labels, merged spans
    beat_chords: list[str]  # one label per beat
    chord_confidence: list[float]  # per beat
    sections: list[tuple[float, float, str]]  # "A", "B", "A′"
    loudness_hop: float  # seconds between loudness values
    loudness: list[float]  # LUFS-like momentary loudness of the mono mix
    version: int = ANALYSIS_VERSION
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step (not cached)

    def bar_of(self, t: float) -> tuple[int, int] | None:
        """(bar number from 1, beat in the bar from 1) of the beat at or before `t`; None
        before the first downbeat or without a beat grid."""
        import bisect

        i = bisect.bisect_right(self.beats, t + 1e-9) - 1
        bar = bisect.bisect_right(self.downbeats, t + 1e-9)
        if i < 0 or bar == 0:
            return None
        return bar, self.bar_positions[i]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("timings")
        d["chords"] = [[round(a, 3), round(b, 3), lab] for a, b, lab in self.chords]
        d["sections"] = [[round(a, 3), round(b, 3), lab] for a, b, lab in self.sections]
        d["tempo_curve"] = [[a, b] for a, b in self.tempo_curve]
        return d

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MusicMap:
        d = dict(d)
        d["chords"] = [(float(a), float(b), str(lab)) for a, b, lab in d["chords"]]
        d["sections"] = [(float(a), float(b), str(lab)) for a, b, lab in d["sections"]]
        d["tempo_curve"] = [(float(a), float(b)) for a, b in d["tempo_curve"]]
        known = set(cls.__dataclass_fields__) - {"timings"}
        return cls(**{k: v for k, v in d.items() if k in known})

    @classmethod
    def from_json(cls, text: str) -> MusicMap:
        return cls.from_dict(json.loads(text))
