"""Sections from bar-synchronous features: boundaries where a checkerboard kernel on the bar
self-similarity (harmony and timbre) peaks, snapped to bar lines; labels by similarity (A, B, …),
a repeat that differs noticeably from its first appearance gets a prime (A′)."""

from __future__ import annotations

import string

import numpy as np

KERNEL_BARS = 4  # half-width of the checkerboard kernel
MIN_BARS = 4  # shortest section
PEAK_Z = 0.4  # novelty peaks above mean + PEAK_Z·std are boundaries
SAME = 0.35  # cosine distance below which two sections get one letter
PRIME = 0.15  # ... and above which a repeat is marked A′


def _unit(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=0, keepdims=True)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def novelty(feats: list[np.ndarray], half: int = KERNEL_BARS) -> np.ndarray:
    n = len(feats[0])
    ssm = np.zeros((n, n))
    for f in feats:
        u = _unit(f)
        ssm += u @ u.T
    ssm /= len(feats)
    i = np.arange(-half, half)
    g = np.exp(-0.5 * ((i + 0.5) / (0.5 * half)) ** 2)
    sign = np.sign(i + 0.5)
    kern = np.outer(g, g) * np.outer(sign, sign)  # + on the diagonal blocks, − across
    pad = np.pad(ssm, half, mode="edge")
    nov = np.zeros(n)
    for t in range(n):
        nov[t] = float((pad[t : t + 2 * half, t : t + 2 * half] * kern).sum())
    return nov


def boundaries(nov: np.ndarray, min_bars: int = MIN_BARS) -> list[int]:
    n = len(nov)
    if n < 2 * min_bars:
        return []
    thr = nov.mean() + PEAK_Z * nov.std()
    cands = [t for t in range(1, n - 1)
             if nov[t] >= nov[t - 1] and nov[t] >= nov[t + 1] and nov[t] > thr]
    chosen: list[int] = []
    for t in sorted(cands, key=lambda t: -nov[t]):
        if t < min_bars or t > n - min_bars:
            continue
        if all(abs(t - c) >= min_bars for c in chosen):
            chosen.append(t)
    return sorted(chosen)


def labels(seg_feats: np.ndarray) -> list[str]:
    """Letter per section by greedy clustering on cosine distance; A′ for a changed repeat."""
    u = _unit(seg_feats) if len(seg_feats) > 2 else seg_feats / np.maximum(
        np.linalg.norm(seg_feats, axis=1, keepdims=True), 1e-9)
    firsts: list[int] = []
    out: list[str] = []
    for i in range(len(u)):
        d = [1.0 - float(u[i] @ u[f]) for f in firsts]
        j = int(np.argmin(d)) if d else -1
        if j >= 0 and d[j] < SAME:
            letter = out[firsts[j]].rstrip("′")
            out.append(letter + ("′" if d[j] > PRIME else ""))
        else:
            letters = string.ascii_uppercase
            letter = letters[len(firsts) % 26] + ("" if len(firsts) < 26 else str(len(firsts) // 26))
            firsts.append(i)
            out.append(letter)
    return out


def sections(bar_times: np.ndarray, end: float, bar_chroma: np.ndarray, bar_timbre: np.ndarray,
             bar_loud: np.ndarray) -> list[tuple[float, float, str]]:
    n = len(bar_times)
    if n < 2 * MIN_BARS:
        return [(0.0, float(end), "A")] if end > 0 else []
    nov = novelty([bar_chroma, bar_timbre])
    b = boundaries(nov)
    starts = [0] + b
    stops = b + [n]
    feats = np.concatenate([_unit(bar_chroma), _unit(bar_timbre)], axis=1)
    seg = np.asarray([feats[s:e].mean(axis=0) for s, e in zip(starts, stops)])
    labs = labels(seg)
    times = [0.0] + [float(bar_times[i]) for i in b] + [float(end)]
    return [(times[i], times[i + 1], labs[i]) for i in range(len(labs))]
