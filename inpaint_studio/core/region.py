"""The region to replace: start and end in seconds, snapped to whole samples, and the rules that
say whether a region can be sent (errors) and whether it is wise (warnings)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from inpaint_studio.core.timefmt import format_time


class RegionError(ValueError):
    """The region cannot be used; `str(err)` says why in the musician's words."""


@dataclass(frozen=True)
class RegionLimits:
    """Thresholds for the warnings (not errors): a region this short, long or large still works
    but rarely gives a good result."""

    warn_shorter_than: float = 3.0
    warn_longer_than: float = 60.0
    warn_fraction_of_song: float = 0.5


DEFAULT_LIMITS = RegionLimits()


@dataclass(frozen=True)
class Region:
    """A span of the song in seconds; `start < end`, both on sample boundaries when built by
    `make_region`."""

    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start

    def frames(self, sample_rate: int) -> tuple[int, int]:
        """The region as `[start_frame, end_frame)` at `sample_rate`."""
        return round(self.start * sample_rate), round(self.end * sample_rate)

    def __str__(self) -> str:
        return f"{format_time(self.start)} – {format_time(self.end)}"


def snap(seconds: float, sample_rate: int) -> float:
    """The time of the sample nearest to `seconds`."""
    return round(seconds * sample_rate) / sample_rate


def make_region(start: float, end: float, duration: float, sample_rate: int) -> Region:
    """A `Region` snapped to samples, or `RegionError` when it is empty, reversed or reaches
    outside a song of `duration` seconds."""
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RegionError("The region's start and end must be times within the song.")
    s, e = snap(start, sample_rate), snap(end, sample_rate)
    total = snap(duration, sample_rate)
    if s < 0 or e < 0:
        raise RegionError("The region cannot start before the beginning of the song.")
    if s > total or e > total:
        raise RegionError(
            f"The region reaches past the end of the song ({format_time(duration)})."
        )
    if e < s:
        raise RegionError("The region ends before it starts.")
    if e == s:
        raise RegionError("The region is empty: its start and end are the same.")
    return Region(s, e)


def region_warnings(
    region: Region, duration: float, limits: RegionLimits = DEFAULT_LIMITS
) -> list[str]:
    """Advice about a valid region; an empty list when there is nothing to say."""
    out: list[str] = []
    if region.length < limits.warn_shorter_than:
        out.append(
            f"The region is shorter than {limits.warn_shorter_than:g} s; very short fills "
            "rarely blend in."
        )
    if region.length > limits.warn_longer_than:
        out.append(
            f"The region is longer than {limits.warn_longer_than:g} s; long fills take longer "
            "and drift further from the song."
        )
    if duration > 0 and region.length > duration * limits.warn_fraction_of_song:
        out.append(
            f"The region covers more than {limits.warn_fraction_of_song:.0%} of the song; "
            "little is left to match against."
        )
    return out
