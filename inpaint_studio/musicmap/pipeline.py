"""The whole analysis: audio → `MusicMap`, and the cached entry points."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.musicmap import beats as beatmod
from inpaint_studio.musicmap import cache, harmony, metre
from inpaint_studio.musicmap import sections as secmod
from inpaint_studio.musicmap.features import LOUD_HOP_S, extract
from inpaint_studio.musicmap.model import MusicMap

Progress = Callable[[float, str], None]


def _nop(_f: float, _s: str) -> None:
    pass


def analyze(audio: Audio, token: CancelToken = NEVER, progress: Progress | None = None) -> MusicMap:
    """Analyse a decoded song (any rate, any channel count). Raises `Cancelled` via `token`."""
    say = progress or _nop
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    say(0.0, "features")
    f = extract(audio, token)
    timings["features"] = time.perf_counter() - t0
    token.raise_if_cancelled()
    say(0.5, "beats")
    t = time.perf_counter()
    bt = beatmod.beat_track(f.onset, f.onset_dt)
    timings["beats"] = time.perf_counter() - t
    token.raise_if_cancelled()
    say(0.7, "harmony")
    t = time.perf_counter()
    chroma_t = np.arange(len(f.chroma)) * f.chroma_dt
    beats = bt.times
    if bt.steady:
        units = beats
    else:  # no beat: harmony on a plain half-second grid, not shown as beats
        units = np.arange(0.0, f.duration, 0.5)
    chroma_b = metre.beat_means(chroma_t, f.chroma, units)
    bass_b = metre.beat_means(chroma_t, f.bass, units)
    labels, conf = harmony.chords_per_beat(chroma_b, bass_b)
    key, key_conf = harmony.estimate_key(chroma_b, bass_b, labels)
    chords = harmony.segments(units, f.duration, labels)
    if len(units) and units[0] > 0.05:
        chords.insert(0, (0.0, float(units[0]), "N"))
    timings["harmony"] = time.perf_counter() - t
    token.raise_if_cancelled()
    say(0.85, "bars")
    t = time.perf_counter()
    per_bar, positions, downbeats, ts = None, [], [], None
    if bt.steady:
        roots = np.array([harmony.NAMES.index(lab.split(":")[0]) if ":" in lab else -1
                          for lab in labels], int)
        sal = metre.salience(beats, chroma_b, f.onset, f.onset_low, f.onset_dt,
                             metre.root_in_bass(bass_b, roots))
        per_bar, _, _ = metre.choose_metre(sal)
        pos = metre.positions(sal, per_bar)
        positions = [int(p) + 1 for p in pos]
        downbeats = [float(b) for b, p in zip(beats, pos, strict=True) if p == 0]
        ts = f"{per_bar}/4"
    timings["bars"] = time.perf_counter() - t
    say(0.9, "sections")
    t = time.perf_counter()
    bar_times = np.asarray(downbeats) if len(downbeats) >= 8 else np.arange(0.0, f.duration, 2.0)
    frames_t = np.arange(len(f.timbre)) * f.onset_dt
    bar_chroma = metre.beat_means(chroma_t, f.chroma, bar_times)
    bar_timbre = metre.beat_means(frames_t, f.timbre, bar_times)
    level = np.stack([20.0 * np.log10(f.rms + 1e-5), f.onset, f.onset_low], axis=1)
    bar_level = metre.beat_means(frames_t, level, bar_times)
    secs = secmod.sections(bar_times, f.duration, bar_chroma, bar_timbre, bar_level)
    timings["sections"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    say(1.0, "done")
    r3 = lambda v: round(float(v), 3)  # noqa: E731
    return MusicMap(
        duration=r3(f.duration),
        steady_beat=bt.steady,
        beat_confidence=r3(bt.confidence),
        tempo_bpm=None if bt.tempo_bpm is None else round(bt.tempo_bpm, 2),
        tempo_curve=bt.curve,
        beats=[r3(b) for b in beats],
        bar_positions=positions,
        downbeats=[r3(d) for d in downbeats],
        beats_per_bar=per_bar,
        time_signature=ts,
        key=key,
        key_confidence=r3(key_conf),
        chords=[(r3(a), r3(b), lab) for a, b, lab in chords],
        beat_chords=labels if bt.steady else [],
        chord_confidence=[r3(c) for c in conf] if bt.steady else [],
        sections=[(r3(a), r3(b), lab) for a, b, lab in secs],
        loudness_hop=LOUD_HOP_S,
        loudness=[round(float(v), 2) for v in f.loudness],
        timings=timings,
    )


def analyze_cached(audio: Audio, cache_dir: str | os.PathLike[str] | None = None,
                   token: CancelToken = NEVER, progress: Progress | None = None,
                   key: str | None = None) -> MusicMap:
    """`analyze` with the on-disk cache, keyed by the decoded samples (or by `key`)."""
    where = Path(cache_dir) if cache_dir is not None else cache.default_dir()
    key = key or cache.audio_key(audio)
    hit = cache.load(where, key)
    if hit is not None:
        if progress:
            progress(1.0, "cached")
        return hit
    result = analyze(audio, token, progress)
    cache.store(where, key, result)
    return result


def map_file(path: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None,
             token: CancelToken = NEVER, progress: Progress | None = None) -> MusicMap:
    """The map of an audio file: from the cache (keyed by the file's bytes, so a hit needs no
    decode), else decoded with ffmpeg, analysed and stored. Raises core's `AudioError`s."""
    from inpaint_studio.core.decode import load_audio

    where = Path(cache_dir) if cache_dir is not None else cache.default_dir()
    key = cache.file_key(path)
    hit = cache.load(where, key)
    if hit is not None:
        if progress:
            progress(1.0, "cached")
        return hit
    audio = load_audio(path, token)
    return analyze_cached(audio, where, token, progress, key=key)
