"""The song's musical map, headless: tempo (and a tempo curve), beats, downbeats and bar
positions, metre (2, 3 or 4 beats per bar), key with a confidence, a chord per beat
(major/minor/seventh, mir_eval-style labels) with a confidence, sections labelled by similarity
(A, B, A′…) and a loudness curve.

    from inpaint_studio.musicmap import analyze, map_file
    m = map_file("song.mp3")          # cached by the file's bytes + ANALYSIS_VERSION
    m.tempo_bpm, m.time_signature, m.key, m.chords[:4], m.sections
    m.to_json()                       # the same keys as `inpaint-studio analyze SONG --json`

How (numpy/scipy only, no model weights, no Qt): features.py computes an onset envelope from
log-mel flux and a whitened semitone spectrum (4096-point window at 11 kHz) folded into chroma
and bass chroma; beats.py estimates the tempo from the onset autocorrelation and tracks beats by
dynamic programming, and says "no steady beat" instead of inventing a grid; metre.py picks the
bar length and downbeats from harmonic change, bass onsets and accents per beat; harmony.py
matches beat-synchronous chroma against key profiles and chord templates with a Viterbi pass;
sections.py finds boundaries with a checkerboard kernel on the bar self-similarity and labels
them by similarity. cache.py stores maps as JSON under `<cache dir>/musicmap/`, atomically.

Accuracy and speed on real compositions: `python benchmarks/run.py map` (benchmarks/README.md)."""

from inpaint_studio.musicmap.model import ANALYSIS_VERSION, MusicMap
from inpaint_studio.musicmap.pipeline import analyze, analyze_cached, map_file

__all__ = ["ANALYSIS_VERSION", "MusicMap", "analyze", "analyze_cached", "map_file"]
