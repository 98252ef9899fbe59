"""Alignment and change detection on a 10-minute song after a real MP3 round trip.

A version is made the way a server returns one: the song with 8 s replaced, 0.37 s of extra
lead-in (an encoder delay / offset), encoded to MP3 192k and decoded again. Figures: the offset
error in samples (goal 0), the time `align` takes for 10 minutes (goal <= 0.15 s) and as a ratio
to one read pass over both songs (the floor: any alignment must at least read the audio once),
and the error of the changed span `changed_spans` finds (goal <= 0.1 s)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from common import figure

from inpaint_studio.core.align import align, apply_alignment, changed_spans
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song

SECONDS = 600.0
REGION = (300.0, 308.0)
OFFSET_S = 0.37


def _version(song: Audio, folder: Path) -> tuple[Audio, int]:
    rate = song.sample_rate
    a, b = int(REGION[0] * rate), int(REGION[1] * rate)
    body = song.samples.copy()
    body[:, a:b] = synth_song(seconds=REGION[1] - REGION[0], seed=99).samples[:, : b - a]
    shift = int(round(OFFSET_S * rate))
    padded = np.concatenate([np.zeros((song.channels, shift), np.float32), body], axis=1)
    path = encode_audio(Audio(padded, rate), folder / "version.mp3")
    return load_audio(path), shift


def _best(fn: Any, repeat: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def run() -> Iterator[dict[str, Any]]:
    song = synth_song(seconds=SECONDS, seed=1)
    with tempfile.TemporaryDirectory(prefix="bench-align-") as tmp:
        version, shift = _version(song, Path(tmp))
    floor, _ = _best(lambda: (float(np.einsum("ij->", song.samples)),
                              float(np.einsum("ij->", version.samples))))
    t_align, found = _best(lambda: align(song, version, REGION))
    error = abs(found.offset - shift)
    yield figure("align.offset_error_mp3", error, "samples", "== 0", error == 0)
    per_10min = t_align * 600.0 / SECONDS
    yield figure("align.time_per_10min", per_10min, "s", "<= 0.15", per_10min <= 0.15)
    yield figure("align.time_vs_one_read_pass", t_align / floor, "ratio",
                 f"info (floor: {floor * 1000:.0f} ms to read both songs once)", None)
    yield figure("align.confidence", found.confidence, "0..1", ">= 0.5 (below: not this song)",
                 found.confidence >= 0.5)
    moved = apply_alignment(version, found, song.frames)
    t_spans, spans = _best(lambda: changed_spans(song, moved), repeat=1)
    if len(spans) == 1:
        err = max(abs(spans[0][0] - REGION[0]), abs(spans[0][1] - REGION[1]))
    else:
        err = float("inf")
    yield figure("align.changed_span_error", err if np.isfinite(err) else -1, "s", "<= 0.1",
                 bool(err <= 0.1))
    yield figure("align.changed_spans_time_per_10min", t_spans * 600.0 / SECONDS, "s", "info",
                 None)
