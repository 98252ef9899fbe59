"""Sections from bar-synchronous features, as an optimal change-point segmentation: the bars
(each averaged with the one before) are split where the music changes and stays changed — the
cut that minimises the spread of each section's bars around the section's own mean (timbre,
level and onset density, harmony: each group z-scored over the song and weighted equally), plus
a price per section and a prior on its length (log-normal around TYPICAL_BARS), solved exactly
by dynamic programming over the bar lines; each cut is then moved by up to a bar to where the
unsmoothed timbre and level change. The level group (RMS, onset strength, low-band onset
strength) is an instrument-activity proxy heard from the mix: an instrument entering or leaving
moves it and the timbre together. Labels by similarity (A, B, …); a repeat that differs
noticeably from its first appearance gets a prime (A′)."""

from __future__ import annotations

import string

import numpy as np

PRICE = 2.0  # cost of one more section, per feature group (each group's bars have variance 1)
TYPICAL_BARS = 12  # the length prior's centre: sections are typically 8–16 bars
LENGTH_WEIGHT = 1.0  # weight of (log(length / TYPICAL_BARS))² in the cost of a section
SMOOTH_BARS = 2  # each bar's features are averaged with the bar before: a bar-to-bar chord change
# or a one-bar drum fill weighs less than a change that lasts
MIN_BARS = 2  # shortest section (a two-bar intro before the band comes in is common)
MAX_BARS = 128  # longest section considered: keeps the search linear in the song's length
SAME = 0.35  # cosine distance below which two sections get one letter
PRIME = 0.15  # ... and above which a repeat is marked A′


def _unit(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=0, keepdims=True)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def _standard(f: np.ndarray) -> np.ndarray:
    """z-scored per column, scaled so the group's squared norm per bar averages 1."""
    z = (f - f.mean(axis=0)) / np.maximum(f.std(axis=0), 1e-9)
    return z / np.sqrt(f.shape[1])


def smooth(x: np.ndarray, bars: int) -> np.ndarray:
    """Mean of each bar's row with the `bars` − 1 rows before it (fewer at the start)."""
    if bars <= 1 or len(x) == 0:
        return x
    c = np.vstack([np.zeros(x.shape[1]), np.cumsum(x, axis=0)])
    i = np.arange(len(x))
    a = np.maximum(0, i - (bars - 1))
    return (c[i + 1] - c[a]) / (i + 1 - a)[:, None]


def segment(x: np.ndarray, price: float, min_bars: int | None = None,
            max_bars: int | None = None) -> list[int]:
    """Bar indices (sorted, > 0) where sections start, minimising over all segmentations
    Σ_sections [ Σ_bars ‖x_bar − mean_section‖² + price + LENGTH_WEIGHT·log²(len/TYPICAL_BARS) ],
    each section min_bars..max_bars long (the first and last may be shorter only when the song
    is). Exact (dynamic programming); O(bars · max_bars · features)."""
    min_bars = min_bars or MIN_BARS
    max_bars = max_bars or MAX_BARS
    n = len(x)
    if n < 2 * min_bars:
        return []
    c1 = np.vstack([np.zeros(x.shape[1]), np.cumsum(x, axis=0)])
    c2 = np.concatenate([[0.0], np.cumsum((x * x).sum(axis=1))])
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    prev = np.zeros(n + 1, int)
    for e in range(min_bars, n + 1):
        s = np.arange(max(0, e - max_bars), e - min_bars + 1)
        s = s[(s == 0) | (s >= min_bars)]
        if len(s) == 0:
            continue
        length = e - s
        tot = c1[e] - c1[s]
        cost = (c2[e] - c2[s]) - (tot * tot).sum(axis=1) / length
        v = best[s] + cost + price + LENGTH_WEIGHT * np.log(length / TYPICAL_BARS) ** 2
        j = int(np.argmin(v))
        best[e], prev[e] = v[j], s[j]
    if not np.isfinite(best[n]):
        return []
    out, e = [], n
    while e > 0:
        e = int(prev[e])
        if e > 0:
            out.append(e)
    return sorted(out)


def refine(x: np.ndarray, cuts: list[int], reach: int = 1) -> list[int]:
    """Each cut moved by up to `reach` bars to where it best splits the unsmoothed bars between
    its neighbours (the smoothing finds a change but can place it a bar late)."""
    if not cuts:
        return cuts
    c1 = np.vstack([np.zeros(x.shape[1]), np.cumsum(x, axis=0)])
    c2 = np.concatenate([[0.0], np.cumsum((x * x).sum(axis=1))])

    def cost(a: int, b: int) -> float:
        tot = c1[b] - c1[a]
        return float(c2[b] - c2[a] - tot @ tot / (b - a))

    out = list(cuts)
    edges = [0, *out, len(x)]
    for i in range(len(out)):
        lo, hi = edges[i] + MIN_BARS, edges[i + 2] - MIN_BARS
        options = [b for b in range(out[i] - reach, out[i] + reach + 1) if lo <= b <= hi]
        out[i] = min(options, key=lambda b: cost(edges[i], b) + cost(b, edges[i + 2]))
        edges[i + 1] = out[i]
    return out


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
             bar_timbre: np.ndarray, bar_level: np.ndarray) -> list[tuple[float, float, str]]:
    """[(start, end, label)] covering 0..end; boundaries on `bar_times`. `bar_level` holds per
    bar the level in dB, the onset strength and the low-band onset strength."""
    n = len(bar_times)
    if n < 2 * MIN_BARS:
        return [(0.0, float(end), "A")] if end > 0 else []
    chroma = bar_chroma / np.maximum(bar_chroma.sum(axis=1, keepdims=True), 1e-9)
    groups = [bar_timbre, bar_level, chroma]
    x = np.concatenate([_standard(smooth(g, SMOOTH_BARS)) for g in groups], axis=1)
    # placed by the unsmoothed timbre and level (the instruments), not by the bar's chord
    raw = np.concatenate([_standard(g) for g in groups[:2]], axis=1)
    b = refine(raw, segment(x, PRICE * len(groups)))
    starts = [0] + b
    stops = b + [n]
    feats = np.concatenate([_unit(bar_chroma), _unit(bar_timbre)], axis=1)
    seg = np.asarray([feats[s:e].mean(axis=0) for s, e in zip(starts, stops, strict=True)])
    labs = labels(seg)
    times = [0.0] + [float(bar_times[i]) for i in b] + [float(end)]
    return [(times[i], times[i + 1], labs[i]) for i in range(len(labs))]
