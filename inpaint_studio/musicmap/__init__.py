"""The song's musical map, headless: tempo (and a tempo curve), beats, downbeats and bar
positions, metre (2, 3 or 4 beats per bar), key with a confidence, a chord per beat
(major/minor/seventh, mir_eval-style labels) with a confidence, sections labelled by similarity
(A, B, A′…) and a loudness curve.

    from inpaint_studio.musicmap import analyze, map_file
    m = map_file("song.mp3")          # cached by the file's bytes + ANALYSIS_VERSION
    m.tempo_bpm, m.time_signature, m.key, m.chords[:4], m.sections
    m.to_json()                       # the same keys as `inpaint-studio analyze SONG --json`
    m.bar_of(t)                       # (bar, beat) of the beat at or before t

    from inpaint_studio.musicmap import grid   # for the ruler, snapping and bar fields
    grid.snap(m, t, "bar"); grid.parse_position(m, "33.1"); grid.parse_length(m, "4 bars", t)

How (numpy/scipy only, no model weights, no Qt): features.py computes an onset envelope from
log-mel flux and a whitened semitone spectrum (4096-point window at 11 kHz) folded into chroma
and bass chroma; beats.py estimates the tempo from the onset autocorrelation and tracks beats by
dynamic programming, and says "no steady beat" instead of inventing a grid; metre.py picks the
bar length and downbeats from harmonic change, bass onsets and accents per beat; harmony.py
matches beat-synchronous chroma against key profiles and chord templates with a Viterbi pass;
sections.py splits the bars where timbre, level and harmony change and stay changed (an
optimal change-point segmentation with a section-length prior) and labels them by similarity;
grid.py turns the map into bars.beats positions, lengths and snapping. cache.py stores maps
as JSON under `<cache dir>/musicmap/`, atomically.

Progress and cancellation: `analyze(audio, token, progress)` calls `progress(fraction, stage)`
between its steps and checks the `CancelToken` there and between FFT blocks (~47 s of audio
each). The longest stretch without a check is the beat tracker's dynamic programming, a Python
loop over onset frames (~0.1 s per minute of audio, twice): it holds the GIL in short slices, so
a GUI should run the analysis in a worker process, or accept that a thread worker slows the GUI
thread while it runs.

Accuracy and speed on real compositions: `python benchmarks/run.py map` (benchmarks/README.md).
On the rendered openttd-openmsx set it beats librosa's tracker and chroma templates on every
figure but sections, but does not yet reach the issue's goals (beat F 0.84 / 0.71 on the tuning
/ held-out halves against 0.85, downbeats 0.63 / 0.42 against 0.70, chords 0.69 / 0.65 against
0.70); it takes ~0.3 s of CPU per minute of audio. The engine's beats and bars come from this
package's tracker and metre (engine/beats.py runs them on the engine's own onset envelope): one
beat tracker in the codebase."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inpaint_studio.musicmap.model import ANALYSIS_VERSION, MusicMap

if TYPE_CHECKING:
    from inpaint_studio.musicmap.pipeline import analyze, analyze_cached, map_file

__all__ = ["ANALYSIS_VERSION", "MusicMap", "analyze", "analyze_cached", "map_file"]


def __getattr__(name: str) -> Any:
    """The analysis (scipy) loads when first asked for: the editor's cache lookup imports
    `musicmap.cache` while a song decodes, and must not spend a core importing scipy then."""
    if name in ("analyze", "analyze_cached", "map_file"):
        from inpaint_studio.musicmap import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
