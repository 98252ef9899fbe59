"""Bars from beats: which beats are downbeats and how many beats a bar has (2, 3 or 4).

Each beat gets a downbeat salience from what changes at bar lines: the harmony (chroma of the
beat against the beat before), the bass (low-band onsets), the accents (onset strength) and,
where the chords are known, whether the bass plays the chord's root (bars open in root position;
a walking or anticipating bass plays other notes on the weaker beats). The
metre and phase are the periodic pattern of that salience that stands out most (with a prior
for 4); a Viterbi pass over bar positions then lets the phase move where a bar is cut short."""

from __future__ import annotations

import numpy as np

METRES = (2, 3, 4)
METRE_PRIOR = {2: -0.3, 3: -0.1, 4: 0.0}
W_HARMONY, W_HARMONY1, W_BASS, W_ACCENT = 1.0, 0.5, 0.3, 0.3
W_ROOT = 1.0  # as much as the harmonic change: the two are the harmony's halves of the evidence
PHASE_JUMP = 8.0  # cost (in salience units) of a bar of another length


def beat_means(frames_t: np.ndarray, feats: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Mean of `feats` (frames × d) between consecutive beats (the last beat to +1 interval)."""
    if len(beats) == 0:
        return np.zeros((0, feats.shape[1]), feats.dtype)
    edges = np.concatenate([beats, [beats[-1] + (beats[-1] - beats[-2] if len(beats) > 1
                                                  else 0.5)]])
    idx = np.searchsorted(frames_t, edges)
    c = np.concatenate([np.zeros((1, feats.shape[1])), np.cumsum(feats, axis=0)])
    a, b = idx[:-1], np.maximum(idx[1:], idx[:-1] + 1)
    b = np.minimum(b, len(feats))
    a = np.minimum(a, b - 1)
    return ((c[b] - c[a]) / np.maximum(b - a, 1)[:, None]).astype(np.float32)


def _z(v: np.ndarray) -> np.ndarray:
    s = float(v.std())
    return (v - v.mean()) / s if s > 1e-9 else np.zeros_like(v)


def root_in_bass(bass_b: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """Per beat, the share of the bass register's energy on the root of the beat's chord
    (`roots`: pitch class per beat, -1 where there is no chord → 0)."""
    share = bass_b / np.maximum(bass_b.sum(axis=1, keepdims=True), 1e-9)
    ok = np.flatnonzero(roots >= 0)
    out = np.zeros(len(bass_b))
    out[ok] = share[ok, roots[ok]]
    return out


def salience(beats: np.ndarray, chroma_b: np.ndarray, onset: np.ndarray, onset_low: np.ndarray,
             dt: float, root_bass: np.ndarray | None = None) -> np.ndarray:
    """Downbeat salience per beat (z-scored mix of harmonic change, bass onset and accent, and
    the bass on the chord's root where `root_bass` (from `root_in_bass`) is given)."""
    n = len(beats)
    if n < 2:
        return np.zeros(n)
    c = chroma_b / np.maximum(np.linalg.norm(chroma_b, axis=1, keepdims=True), 1e-9)
    # harmony of the beat(s) from here vs before: two beats either side
    ahead = c + np.vstack([c[1:], c[-1:]])
    behind = np.vstack([c[:1], c[:-1]]) + np.vstack([c[:1], c[:1], c[:-2]])[:n]
    ahead /= np.maximum(np.linalg.norm(ahead, axis=1, keepdims=True), 1e-9)
    behind /= np.maximum(np.linalg.norm(behind, axis=1, keepdims=True), 1e-9)
    change = 1.0 - (ahead * behind).sum(axis=1)
    change1 = 1.0 - (c * np.vstack([c[:1], c[:-1]])).sum(axis=1)  # this beat vs the one before
    f = np.clip(np.rint(beats / dt).astype(int), 0, len(onset) - 1)
    near = lambda env: np.maximum.reduce(  # noqa: E731
        [env[np.clip(f + d, 0, len(env) - 1)] for d in range(-3, 4)])
    out = (W_HARMONY * _z(change) + W_HARMONY1 * _z(change1) + W_BASS * _z(near(onset_low))
           + W_ACCENT * _z(near(onset)))
    if root_bass is not None:
        out = out + W_ROOT * _z(np.asarray(root_bass, np.float64))
    return out


def choose_metre(sal: np.ndarray) -> tuple[int, int, float]:
    """(beats per bar, phase of the first downbeat, contrast) from the salience pattern."""
    best = (4, 0, -np.inf)
    for m in METRES:
        if len(sal) < 2 * m:
            continue
        for p in range(m):
            contrast = float(sal[p::m].mean() - np.delete(sal, np.s_[p::m]).mean())
            score = contrast + METRE_PRIOR[m]
            if score > best[2]:
                best = (m, p, score)
    return best


def positions(sal: np.ndarray, m: int) -> np.ndarray:
    """Position in the bar (0 = downbeat) of every beat: Viterbi over positions, stepping by
    one, with a cost for a jump to the downbeat from any other position (a cut-short bar)."""
    n = len(sal)
    if n == 0:
        return np.zeros(0, int)
    emit = np.zeros((n, m))
    emit[:, 0] = sal
    score = emit[0].copy()
    back = np.zeros((n, m), int)
    for i in range(1, n):
        step = np.roll(score, 1)  # position k-1 → k
        prev = np.roll(np.arange(m), 1)
        jump = score.max() - PHASE_JUMP
        new = step.copy()
        b = prev.copy()
        if jump > new[0]:
            new[0] = jump
            b[0] = int(np.argmax(score))
        score = new + emit[i]
        back[i] = b
    pos = np.zeros(n, int)
    pos[-1] = int(np.argmax(score))
    for i in range(n - 1, 0, -1):
        pos[i - 1] = back[i, pos[i]]
    return pos
