"""mir_eval scoring of one estimate against one truth."""

from __future__ import annotations

import numpy as np


def beat_f(ref: np.ndarray, est: np.ndarray) -> float:
    import mir_eval

    ref = mir_eval.beat.trim_beats(np.asarray(ref, float))
    est = mir_eval.beat.trim_beats(np.asarray(est, float))
    if len(ref) == 0:
        return float("nan")
    if len(est) == 0:
        return 0.0
    return float(mir_eval.beat.f_measure(ref, est, f_measure_threshold=0.07))


def tempo_ok(ref_bpm: float, est_bpm: float | None) -> float:
    return float(est_bpm is not None and abs(est_bpm / ref_bpm - 1.0) <= 0.04)


def key_score(ref: str | None, est: str | None) -> float:
    import mir_eval

    if ref is None:
        return float("nan")
    if est is None:
        return 0.0
    return float(mir_eval.key.weighted_score(ref, est))


def chord_majmin(ref: list, est: list) -> float:
    import mir_eval

    if not ref:
        return float("nan")
    ri = np.array([[a, b] for a, b, _ in ref])
    rl = [lab for _, _, lab in ref]
    if est:
        ei = np.array([[a, b] for a, b, _ in est])
        el = [lab for _, _, lab in est]
    else:
        ei, el = np.array([[0.0, ri.max()]]), ["N"]
    ei, el = mir_eval.util.adjust_intervals(ei, el, ri.min(), ri.max(), "N", "N")
    iv, r, e = mir_eval.util.merge_labeled_intervals(ri, rl, ei, el)
    dur = mir_eval.util.intervals_to_durations(iv)
    comps = mir_eval.chord.majmin(r, e)
    return float(mir_eval.chord.weighted_accuracy(comps, dur))


def boundary_f(ref: np.ndarray, est: np.ndarray, end: float, window: float = 3.0) -> float:
    """F-measure of interior section boundaries (±window s); the song's start and end do not
    count (mir_eval's trim)."""
    import mir_eval

    ref = np.asarray(ref, float)
    est = np.asarray(est, float)
    if len(ref) == 0:
        return float("nan")
    def iv(b):
        edges = np.concatenate([[0.0], b[(b > 0) & (b < end)], [end]])
        return np.stack([edges[:-1], edges[1:]], axis=1)
    _, _, f = mir_eval.segment.detection(iv(ref), iv(est), window=window, trim=True)
    return float(f)
