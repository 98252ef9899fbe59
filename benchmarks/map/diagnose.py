"""Failure modes of one piece, so a change can aim at a cause instead of at a mean: the tempo
octave (est/truth ratio), where the beats sit in the true beat (on it, on the off-beat), where
the downbeats sit in the true bar (in beats), and how a key is wrong (MIREX's categories)."""

from __future__ import annotations

import numpy as np

NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
RATIOS = {"right": 1.0, "double": 2.0, "half": 0.5, "3/2": 1.5, "2/3": 2 / 3, "x3": 3.0,
          "/3": 1 / 3}


def tempo_level(ref_bpm: float, est_bpm: float | None) -> str:
    """Which metrical level the estimate is on: the ratio to the notated beat within 4 %."""
    if est_bpm is None:
        return "none"
    r = est_bpm / ref_bpm
    for name, want in RATIOS.items():
        if abs(r / want - 1.0) <= 0.04:
            return name
    return "other"


def _phase(ref: np.ndarray, est: np.ndarray, period: float) -> float | None:
    """Median position of `est` inside the `ref` interval it falls in, as a share of `period`
    (0 = on a reference instant; wraps, so -0.1 and 0.9 are the same)."""
    ref, est = np.asarray(ref, float), np.asarray(est, float)
    est = est[(est >= ref[0]) & (est < ref[-1])] if len(ref) > 1 else est[:0]
    if len(est) == 0 or period <= 0:
        return None
    j = np.searchsorted(ref, est, side="right") - 1
    ph = ((est - ref[j]) / period + 0.5) % 1.0 - 0.5  # -0.5 .. 0.5
    return float(np.median(ph))


def beat_phase(ref_beats: np.ndarray, est_beats: np.ndarray) -> str:
    """Where the tracked beats sit in the true beat: "on", "off-beat" (half a beat out),
    "early"/"late" (a quarter), "none"."""
    if len(ref_beats) < 2:
        return "none"
    ph = _phase(ref_beats, est_beats, float(np.median(np.diff(ref_beats))))
    if ph is None:
        return "none"
    if abs(ph) <= 0.125:
        return "on"
    if abs(ph) >= 0.375:
        return "off-beat"
    return "late" if ph > 0 else "early"


def bar_offset(ref_beats: np.ndarray, ref_downbeats: np.ndarray,
               est_downbeats: np.ndarray) -> str:
    """Where the estimated downbeats sit in the true bar, in beats: "0" is right, "+1" one beat
    after the true downbeat (on beat 2), "-1" one before (on the last beat); "none"."""
    if len(ref_beats) < 2 or len(ref_downbeats) < 2 or len(est_downbeats) == 0:
        return "none"
    beat = float(np.median(np.diff(ref_beats)))
    bar = float(np.median(np.diff(ref_downbeats)))
    ph = _phase(ref_downbeats, est_downbeats, bar)
    if ph is None:
        return "none"
    per_bar = int(round(bar / beat))
    k = int(round(ph * bar / beat))
    if 2 * abs(k) == per_bar:  # half a bar out: the same either way
        k = abs(k)
    return "0" if k == 0 else f"{k:+d}"


def key_relation(ref: str | None, est: str | None) -> str:
    """MIREX's categories: same, fifth (either way), relative, parallel, other; "none"."""
    if ref is None:
        return "unscored"
    if est is None:
        return "none"
    (rt, rm), (et, em) = ref.split(), est.split()
    r, e = NAMES.index(rt), NAMES.index(et)
    if (r, rm) == (e, em):
        return "same"
    if rm == em and (e - r) % 12 in (5, 7):
        return "fifth"
    if rm != em and (e - r) % 12 == (9 if rm == "major" else 3):
        return "relative"
    if r == e:
        return "parallel"
    return "other"


def diagnose(tr, est: dict) -> dict:
    return {"tempo": tempo_level(tr.tempo_bpm, est["tempo_bpm"]),
            "beats": beat_phase(tr.beats, np.asarray(est["beats"], float)),
            "bar": bar_offset(tr.beats, tr.downbeats, np.asarray(est["downbeats"], float)),
            "metre": f"{tr.time_signature}→{est.get('time_signature')}",
            "key": key_relation(tr.key, est["key"])}
