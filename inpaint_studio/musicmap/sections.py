"""Sections from bar-synchronous features: boundaries at bar lines where the bars before and
after differ most (harmony and timbre, block means over a few bars); labels by similarity (A, B, …),
a repeat that differs noticeably from its first appearance gets a prime (A′)."""

from __future__ import annotations

import string

import numpy as np

KERNEL_BARS = 4  # bars compared either side of a candidate boundary
MIN_BARS = 4  # shortest section
PEAK_Z = 0.0  # novelty peaks above mean + PEAK_Z·std are boundaries
SAME = 0.35  # cosine distance below which two sections get one letter
PRIME = 0.15  # ... and above which a repeat is marked A′


def _unit(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=0, keepdims=True)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def novelty(feats: list[np.ndarray], half: int | None = None) -> np.ndarray:
    """Per bar line t: how different the `half` bars before it are from the `half` bars after
    it — the distance of the two blocks' mean features (a chord progression inside a block
    does not count as change, unlike a checkerboard on the bar self-similarity), each feature
    group scaled by its own spread, then summed."""
    half = half or KERNEL_BARS
    n = len(feats[0])
    total = np.zeros(n)
    for f in feats:
        z = (f - f.mean(axis=0)) / np.maximum(f.std(axis=0), 1e-9)
        c = np.concatenate([np.zeros((1, z.shape[1])), np.cumsum(z, axis=0)])
        nov = np.zeros(n)
        for t in range(1, n):
            a, b = max(0, t - half), min(n, t + half)
            before = (c[t] - c[a]) / (t - a)
            after = (c[b] - c[t]) / (b - t)
            nov[t] = float(np.linalg.norm(before - after)) / np.sqrt(z.shape[1])
        total += nov / max(float(nov.std()), 1e-9)
    return total / len(feats)


def boundaries(nov: np.ndarray, min_bars: int | None = None) -> list[int]:
    min_bars = min_bars or MIN_BARS
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
            n = len(firsts)
            letter = letters[n % 26] + ("" if n < 26 else str(n // 26))
            firsts.append(i)
            out.append(letter)
    return out


def sections(bar_times: np.ndarray, end: float, bar_chroma: np.ndarray,
             bar_timbre: np.ndarray) -> list[tuple[float, float, str]]:
    n = len(bar_times)
    if n < 2 * MIN_BARS:
        return [(0.0, float(end), "A")] if end > 0 else []
    nov = novelty([bar_chroma, bar_timbre])
    b = boundaries(nov)
    starts = [0] + b
    stops = b + [n]
    feats = np.concatenate([_unit(bar_chroma), _unit(bar_timbre)], axis=1)
    seg = np.asarray([feats[s:e].mean(axis=0) for s, e in zip(starts, stops, strict=True)])
    labs = labels(seg)
    times = [0.0] + [float(bar_times[i]) for i in b] + [float(end)]
    return [(times[i], times[i + 1], labs[i]) for i in range(len(labs))]
