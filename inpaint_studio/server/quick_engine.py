"""A fast, deterministic stand-in engine with the `engine.fill.fill_region` signature, for the
server's own tests (and `serve --engine quick` demos). The app never uses it. `slow_fill_region`
is the same engine after a pause ($INPAINT_STUDIO_SLOW_ENGINE_S seconds), for tests that must
catch a job mid-run (e.g. kill the app then).

Each version fills the region with audio copied from elsewhere in the same song (an offset that
depends on the seed and the version), with 10 ms linear crossfades; everything outside the region
is left sample-identical."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from inpaint_studio.core.audio import Audio


@dataclass
class QuickVersion:
    audio: Audio
    meta: dict


@dataclass
class QuickResult:
    versions: list[QuickVersion]
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def fill_region(audio: Audio, start: float, end: float, *, seed: int = 0, num_versions: int = 2,
                prompt: str = "", token: object = None,
                progress: Callable[[float], None] | None = None) -> QuickResult:
    rate, frames = audio.sample_rate, audio.frames
    a, b = int(round(start * rate)), int(round(end * rate))
    if not 0 <= a < b <= frames:
        raise ValueError(f"The region {start:.2f}–{end:.2f} s is outside the song.")
    length = b - a
    if length > 0.9 * frames:
        raise ValueError("The region covers almost the whole song: there is no material left "
                         "to reuse. Select a shorter region.")
    fade = min(int(0.01 * rate), length // 2)
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32) if fade else np.zeros(0, np.float32)
    versions = []
    for k in range(num_versions):
        rng = np.random.default_rng(seed * 1009 + k)
        offset = int(rng.integers(length, max(length + 1, frames - length)))
        src = (np.arange(a, b) + offset) % frames
        out = audio.samples.copy()
        fill = audio.samples[:, src]
        if fade:
            fill[:, :fade] = fill[:, :fade] * ramp + out[:, a:a + fade] * (1 - ramp)
            fill[:, -fade:] = fill[:, -fade:] * ramp[::-1] + out[:, b - fade:b] * ramp
        out[:, a:b] = fill
        versions.append(QuickVersion(Audio(out, rate), {
            "seams": [start, end], "sources": [round(((a + offset) % frames) / rate, 3)],
            "confidence": "ok", "notes": ["test engine"], "pid": os.getpid()}))
        if progress is not None:
            progress((k + 1) / num_versions)
    return QuickResult(versions, notes=["deterministic test engine"])


SLOW_ENV = "INPAINT_STUDIO_SLOW_ENGINE_S"


def slow_fill_region(audio: Audio, start: float, end: float, **kwargs: object) -> QuickResult:
    """`fill_region` after a pause of $INPAINT_STUDIO_SLOW_ENGINE_S seconds (default 30), so the
    result is exactly the quick engine's for the same seed."""
    time.sleep(float(os.environ.get(SLOW_ENV, "30")))
    return fill_region(audio, start, end, **kwargs)  # type: ignore[arg-type]
