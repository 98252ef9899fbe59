"""Sample-exact splicing of a version's region into the current song.

A splice replaces the frames of a region with those of a version that is already on the song's
timeline (aligned, same rate and channels), and joins the two with equal-power crossfades centred
on the seams. Outside the two crossfades the result is bit-identical to the song, and the length
never changes. `splice_in_place` writes into the song's own buffer and returns what it overwrote
(so an edit stack can undo it without whole copies); `splice` copies the song once first."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from inpaint_studio.core.audio import Audio

DEFAULT_CROSSFADE_S = 0.030
MAX_CROSSFADE_S = 1.0


class SpliceError(ValueError):
    """A splice that cannot be made (empty or out-of-range region); the message is for the user."""


@dataclass(frozen=True)
class SplicePlan:
    """Where a splice writes, in frames of the song: the region's seams `start`/`end`, the
    crossfade length `fade` actually used, and the span `[lo, hi)` that the splice changes.

    Each fade is centred on its seam: it spans `[seam - fade // 2, seam - fade // 2 + fade)`,
    clipped to the song."""

    start: int
    end: int
    fade: int
    lo: int
    hi: int

    @property
    def left_fade(self) -> tuple[int, int]:
        """Song frames `[a, b)` of the left crossfade (empty when `fade` is 0)."""
        if not self.fade:
            return self.start, self.start
        return self.lo, self.start - self.fade // 2 + self.fade

    @property
    def right_fade(self) -> tuple[int, int]:
        """Song frames `[a, b)` of the right crossfade (empty when `fade` is 0)."""
        if not self.fade:
            return self.end, self.end
        return self.end - self.fade // 2, self.hi

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> SplicePlan:
        return cls(**{k: int(data[k]) for k in ("start", "end", "fade", "lo", "hi")})


def plan_splice(frames: int, rate: int, start_s: float, end_s: float,
                crossfade_s: float = DEFAULT_CROSSFADE_S) -> SplicePlan:
    """The frames a splice of `[start_s, end_s)` touches in a song of `frames` frames.

    Seams are rounded to the nearest frame. Each crossfade is centred on its seam; it is
    clipped where it would run past the song's ends, and never longer than the region itself."""
    if not (math.isfinite(start_s) and math.isfinite(end_s)):
        raise SpliceError("The region's start and end must be numbers.")
    start = max(0, min(frames, round(start_s * rate)))
    end = max(0, min(frames, round(end_s * rate)))
    if end <= start:
        raise SpliceError("The region is empty or reversed; select a region inside the song.")
    crossfade_s = max(0.0, min(float(crossfade_s), MAX_CROSSFADE_S))
    fade = min(round(crossfade_s * rate), end - start)
    half = fade // 2
    lo = max(0, start - half)
    hi = min(frames, end - half + fade)
    return SplicePlan(start=start, end=end, fade=fade, lo=lo, hi=hi)


def equal_power_gains(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fade-out and fade-in gains of an `n`-frame equal-power crossfade (out² + in² = 1).

    Gains are sampled at the middle of each frame, so the curve is symmetric around the seam."""
    theta = (np.arange(n, dtype=np.float64) + 0.5) * (np.pi / (2 * n))
    return np.cos(theta).astype(np.float32), np.sin(theta).astype(np.float32)


def conform(version: Audio, sample_rate: int, channels: int) -> Audio:
    """`version` at `sample_rate` with `channels` channels (polyphase resampling, channel up- or
    down-mix); returned unchanged when it already matches."""
    samples = version.samples
    if version.sample_rate != sample_rate:
        from scipy.signal import resample_poly

        g = math.gcd(int(sample_rate), int(version.sample_rate))
        samples = resample_poly(samples, sample_rate // g, version.sample_rate // g, axis=1)
        samples = samples.astype(np.float32, copy=False)
    if samples.shape[0] != channels:
        if samples.shape[0] == 1:
            samples = np.repeat(samples, channels, axis=0)
        elif channels == 1:
            samples = samples.mean(axis=0, keepdims=True, dtype=np.float32)
        else:
            # Keep the first channels that exist and repeat the last for any extra ones.
            idx = [min(c, samples.shape[0] - 1) for c in range(channels)]
            samples = samples[idx]
    if samples is version.samples:
        return version
    return Audio(np.ascontiguousarray(samples, dtype=np.float32), sample_rate)


def _write_span(out: np.ndarray, song_span: np.ndarray, version: np.ndarray, plan: SplicePlan,
                version_offset: int) -> None:
    """Write the spliced frames `[plan.lo, plan.hi)` into `out` (indexed like the song).

    `song_span` holds the song's frames `[lo, hi)` (read only inside the fades; a saved copy
    when `out` is the song itself); `version` holds the version from song frame
    `version_offset` on."""
    lo, hi = plan.lo, plan.hi
    v = version[:, lo - version_offset : hi - version_offset]
    if not plan.fade:
        out[:, lo:hi] = v
        return
    g_out, g_in = equal_power_gains(plan.fade)
    nominal = plan.fade // 2
    l0, l1 = plan.left_fade
    r0, r1 = plan.right_fade
    lg = slice(l0 - (plan.start - nominal), l1 - (plan.start - nominal))
    rg = slice(0, r1 - r0)
    out[:, l1:r0] = v[:, l1 - lo : r0 - lo]
    # The song fades out into the version at the left seam and back in at the right seam.
    out[:, l0:l1] = song_span[:, : l1 - lo] * g_out[lg] + v[:, : l1 - lo] * g_in[lg]
    out[:, r0:r1] = song_span[:, r0 - lo :] * g_in[rg] + v[:, r0 - lo :] * g_out[rg]


def _check(song: Audio, version: Audio, version_offset: int, plan: SplicePlan) -> None:
    if version.sample_rate != song.sample_rate or version.channels != song.channels:
        raise SpliceError("The version must be conformed to the song's rate and channels first.")
    if version_offset > plan.lo or version_offset + version.frames < plan.hi:
        raise SpliceError(
            "The version does not cover the region and its crossfades; it may be shorter than "
            "the song. Align it to the song first."
        )


def splice_in_place(song: Audio, version: Audio, plan: SplicePlan,
                    version_offset: int = 0) -> np.ndarray:
    """Splice `version` (frames from song frame `version_offset` on) into `song.samples` in place
    and return a copy of the frames `[plan.lo, plan.hi)` as they were before: all an undo needs."""
    _check(song, version, version_offset, plan)
    previous = song.samples[:, plan.lo : plan.hi].copy()
    _write_span(song.samples, previous, version.samples, plan, version_offset)
    return previous


def restore(song: Audio, plan: SplicePlan, previous: np.ndarray) -> None:
    """Undo `splice_in_place`: put the saved frames back, bit for bit."""
    song.samples[:, plan.lo : plan.hi] = previous


def splice(song: Audio, version: Audio, start_s: float, end_s: float,
           crossfade_s: float = DEFAULT_CROSSFADE_S) -> Audio:
    """A new `Audio`: `song` with `version`'s `[start_s, end_s)` spliced in (one copy of the song,
    then writes over the region only). `version` is conformed to the song's rate and channels."""
    version = conform(version, song.sample_rate, song.channels)
    plan = plan_splice(song.frames, song.sample_rate, start_s, end_s, crossfade_s)
    _check(song, version, 0, plan)
    out = song.samples.copy()
    _write_span(out, song.samples[:, plan.lo : plan.hi], version.samples, plan, 0)
    return Audio(out, song.sample_rate)

