"""Key and chords from beat-synchronous chroma.

Key: the song's chroma (and bass chroma) correlated with rotated major and minor key profiles
(Krumhansl–Kessler and Temperley's, averaged); the confidence is the margin over the runner-up.
Chords: per beat, cosine match of chroma against major, minor (and seventh) templates, with a
bonus when the bass plays the root, and a Viterbi pass that makes changing chord cost something.
'N' where the beat is near silence. Labels are mir_eval-style: "C:maj", "A:min", "G:7", "N"."""

from __future__ import annotations

import numpy as np

NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
T_MAJOR = np.array([5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0])
T_MINOR = np.array([5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0])
KEY_BASS_WEIGHT = 0.5
TONIC_CHORD_WEIGHT = 0.5
FIRST_CHORD_WEIGHT = 0.1
LAST_CHORD_WEIGHT = 0.1

QUALITIES = {"maj": (0, 4, 7), "min": (0, 3, 7)}
SEVENTHS = {"7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10)}
BASS_BONUS = 0.15
SWITCH_COST = 0.06
SEVENTH_MARGIN = 0.04
SILENT = 0.08  # beat chroma energy below this fraction of the song's median → "N"


def _norm(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


def key_scores(chroma_sum: np.ndarray, bass_sum: np.ndarray) -> np.ndarray:
    """(24,) correlation per key: 0..11 major on C.., 12..23 minor on C.."""
    prof = _norm(chroma_sum) + KEY_BASS_WEIGHT * _norm(bass_sum)
    out = np.zeros(24)
    for tonic in range(12):
        rolled = np.roll(prof, -tonic)
        out[tonic] = _corr(rolled, KK_MAJOR) + _corr(rolled, T_MAJOR)
        out[12 + tonic] = _corr(rolled, KK_MINOR) + _corr(rolled, T_MINOR)
    return out / 2


def key_name(index: int) -> str:
    return f"{NAMES[index % 12]} {'major' if index < 12 else 'minor'}"


def tonic_shares(labels: list[str]) -> np.ndarray:
    """(24,) the share of beats whose chord is each key's tonic triad (a seventh counts as its
    triad): relative keys share their notes, but a piece dwells on its own tonic chord."""
    out = np.zeros(24)
    if not labels:
        return out
    for lab in labels:
        if ":" not in lab:
            continue
        root, q = lab.split(":")
        r = NAMES.index(root)
        out[r + (12 if q.startswith("min") else 0)] += 1
    return out / len(labels)


def estimate_key(chroma_b: np.ndarray, bass_b: np.ndarray,
                 labels: list[str] | None = None) -> tuple[str | None, float]:
    if len(chroma_b) == 0 or not np.any(chroma_b):
        return None, 0.0
    s = key_scores(chroma_b.sum(axis=0), bass_b.sum(axis=0))
    s = s + TONIC_CHORD_WEIGHT * tonic_shares(labels or [])
    named = [lab for lab in labels or [] if ":" in lab]
    if named:  # pieces tend to open (and close) on their tonic chord
        s = s + FIRST_CHORD_WEIGHT * tonic_shares(named[:1]) \
            + LAST_CHORD_WEIGHT * tonic_shares(named[-1:])
    order = np.argsort(s)[::-1]
    return key_name(int(order[0])), float(np.clip((s[order[0]] - s[order[1]]) * 5, 0, 1))


def templates(sevenths: bool = True) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(labels, unit templates (k × 12), root pitch class per template)."""
    labels, rows, roots = [], [], []
    quals = dict(QUALITIES)
    if sevenths:
        quals.update(SEVENTHS)
    for q, tones in quals.items():
        for r in range(12):
            t = np.zeros(12)
            for i, iv in enumerate(tones):
                t[(r + iv) % 12] = 1.0 if i < 3 else 0.7
            labels.append(f"{NAMES[r]}:{q}")
            rows.append(_norm(t))
            roots.append(r)
    return labels, np.asarray(rows), np.asarray(roots)


def chords_per_beat(chroma_b: np.ndarray, bass_b: np.ndarray,
                    sevenths: bool = True) -> tuple[list[str], np.ndarray]:
    """A label and a confidence (0..1) per beat."""
    n = len(chroma_b)
    if n == 0:
        return [], np.zeros(0)
    labels, tmpl, roots = templates(sevenths)
    energy = chroma_b.sum(axis=1)
    b = bass_b / np.maximum(bass_b.sum(axis=1, keepdims=True), 1e-9)
    c = chroma_b / np.maximum(np.linalg.norm(chroma_b, axis=1, keepdims=True), 1e-9)
    sim = c @ tmpl.T + BASS_BONUS * b[:, roots]
    is7 = np.array([":" in lab and lab.split(":")[1] in SEVENTHS for lab in labels])
    sim[:, is7] -= SEVENTH_MARGIN
    silent = energy < SILENT * max(float(np.median(energy)), 1e-9)
    k = len(labels)
    # Viterbi: staying costs nothing, changing costs SWITCH_COST; 'N' is state k
    emit = np.concatenate([sim, np.full((n, 1), -1.0)], axis=1)
    emit[silent, :k] = -1.0
    emit[silent, k] = 1.0
    score = emit[0].copy()
    back = np.zeros((n, k + 1), int)
    for i in range(1, n):
        j = int(np.argmax(score))
        stay = score
        switch = score[j] - SWITCH_COST
        use_switch = switch > stay
        back[i] = np.where(use_switch, j, np.arange(k + 1))
        score = np.where(use_switch, switch, stay) + emit[i]
    path = np.zeros(n, int)
    path[-1] = int(np.argmax(score))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    out = [labels[p] if p < k else "N" for p in path]
    srt = np.sort(sim, axis=1)
    conf = np.clip((srt[:, -1] - srt[:, -2]) * 5.0, 0.0, 1.0)
    conf[silent] = 1.0
    return out, conf


def segments(times: np.ndarray, end: float, labels: list[str]) -> list[tuple[float, float, str]]:
    """Merge equal consecutive per-beat labels into [start, end, label] spans."""
    out: list[tuple[float, float, str]] = []
    for i, lab in enumerate(labels):
        t0 = float(times[i])
        t1 = float(times[i + 1]) if i + 1 < len(times) else end
        if out and out[-1][2] == lab:
            out[-1] = (out[-1][0], t1, lab)
        else:
            out.append((t0, t1, lab))
    return out
