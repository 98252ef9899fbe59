"""Beat-level search for source passages: per-beat features, a beat × beat distance matrix, the
cost of every shift (context on both sides of the gap), two-source candidates, and the choice
of two versions that differ in content.

A candidate fills target beats kL..kR-1 with source beats shifted by `shifts` (one shift, or two
with a switch at an interior beat). Beat indices refer to `BeatGrid.times`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inpaint_studio.engine.analysis import Analysis

CONTEXT_BEATS = 8
MIN_APART = 8  # candidates' sources must be at least this many beats apart


@dataclass
class Candidate:
    """A way to fill beats kL..kR-1: `parts` is [(first target beat, shift in beats), ...]."""

    parts: list[tuple[int, int]]
    cost: float

    @property
    def shifts(self) -> list[int]:
        return [m for _, m in self.parts]

    def source_beat(self, b: int) -> int:
        """The source beat that plays at target beat `b`."""
        m = self.parts[0][1]
        for first, shift in self.parts:
            if b >= first:
                m = shift
        return b + m


def beat_features(an: Analysis, beats: np.ndarray) -> list[np.ndarray]:
    """Per beat, the mean of each feature group over each half of the beat, z-scored.
    Returns one (beats-1, dims) array per group: log-mel, chroma, MFCC, loudness+onset."""
    edges = np.asarray(an.frame_at(beats), dtype=int)
    mids = (edges[:-1] + edges[1:]) // 2
    bounds = np.stack([edges[:-1], mids, edges[1:]], axis=1)
    groups = [an.logmel, an.chroma, an.mfcc,
              np.stack([20 * np.log10(an.rms + 1e-5), an.onset], axis=1)]  # fmt: skip
    out = []
    for g in groups:
        csum = np.concatenate([np.zeros((1, g.shape[1])), np.cumsum(g, axis=0, dtype=np.float64)])
        halves = []
        for h in range(2):
            a, b = bounds[:, h], np.maximum(bounds[:, h + 1], bounds[:, h] + 1)
            b = np.minimum(b, len(g))
            a = np.minimum(a, b - 1)
            halves.append((csum[b] - csum[a]) / (b - a)[:, None])
        f = np.concatenate(halves, axis=1)
        f = (f - f.mean(axis=0)) / np.maximum(f.std(axis=0), 1e-6)
        out.append(f.astype(np.float32))
    return out


def distance_matrix(groups: list[np.ndarray]) -> np.ndarray:
    """Beat × beat distance: each group's mean squared z-difference, groups weighted equally."""
    n = groups[0].shape[0]
    d = np.zeros((n, n), np.float32)
    for f in groups:
        sq = (f * f).sum(axis=1)
        g = sq[:, None] + sq[None, :] - 2.0 * (f @ f.T)
        d += np.sqrt(np.maximum(g, 0.0) / f.shape[1])
    return d / len(groups)


@dataclass
class SearchSpace:
    """Everything the search needs about one gap."""

    dist: np.ndarray  # beat × beat
    inner_dist: np.ndarray  # harmony + level: prefer sources that resemble the region replaced
    kL: int
    kR: int
    context: int
    bar: int  # beats per bar for the bar penalty (1 = none)
    # each beat's position in its bar (0 = downbeat), from the map's metre; empty: by `bar`
    positions: np.ndarray | None = None


def _ctx_weights(L: int) -> np.ndarray:
    return np.linspace(1.0, 0.5, L)  # the beats next to the seam matter most


def shift_costs(sp: SearchSpace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shifts, left-context cost, right-context cost + harmony + bar penalty) for every shift
    whose source and context stay inside the song and off the region."""
    n = sp.dist.shape[0]
    L, kL, kR = sp.context, sp.kL, sp.kR
    m = np.arange(-n, n)
    lo, hi = kL + m - L, kR + m + L  # source span with its context
    ok = (lo >= 0) & (hi <= n) & ((hi <= kL) | (lo >= kR))
    m = m[ok]
    w = _ctx_weights(L)
    left = np.zeros(len(m))
    right = np.zeros(len(m))
    for i in range(L):
        a = kL - 1 - i
        b = kR + i
        if a >= 0:
            left += w[i] * sp.dist[a, a + m]
        if b < n:
            right += w[i] * sp.dist[b, b + m]
    inner = np.arange(kL, kR)
    # the region's own audio is known (a replacement, not a gap): prefer sources whose chords
    # and level resemble it, at a fraction of the context's weight
    inner_cost = sp.inner_dist[inner[:, None], inner[:, None] + m[None, :]].mean(axis=0)
    scale = float(np.median(sp.dist))
    extra = 0.3 * w.sum() * scale * inner_cost / max(float(np.median(sp.inner_dist)), 1e-6)
    if sp.bar > 1:
        pos = sp.positions
        if pos is not None and len(pos) > n:
            # the source's first beat plays in the same place of its bar as the region's, so
            # the seams fall between passages at the same point of the phrase
            same = pos[np.clip(kL + m, 0, len(pos) - 1)] == pos[kL]
        else:
            same = m % sp.bar == 0
        extra = extra + np.where(same, 0.0, 0.35 * scale * w.sum())
    return m, left, right + extra


def candidates(sp: SearchSpace, max_two_source: int = 12) -> list[Candidate]:
    """Single-shift candidates for every valid shift, plus two-source ones for the best few
    left/right shifts (switching at the interior beat where the two sources agree most)."""
    m, left, right = shift_costs(sp)
    if len(m) == 0:
        return []
    pool = [Candidate([(sp.kL, int(mm))], float(c)) for mm, c in zip(m, left + right, strict=False)]
    width = sp.kR - sp.kL
    if width >= 6 and len(m) > 1:
        scale = float(np.median(sp.dist))
        best_l = m[np.argsort(left)[:max_two_source]]
        best_r = m[np.argsort(right)[:max_two_source]]
        lcost = dict(zip(m.tolist(), left.tolist(), strict=False))
        rcost = dict(zip(m.tolist(), right.tolist(), strict=False))
        n = sp.dist.shape[0]
        for m1 in best_l:
            for m2 in best_r:
                if abs(int(m1) - int(m2)) < MIN_APART:
                    continue
                ps = np.arange(sp.kL + 2, sp.kR - 1)
                sw = np.zeros(len(ps))
                valid = np.ones(len(ps), bool)
                for i in (-2, -1, 0, 1):
                    a, b = ps + i + m1, ps + i + m2
                    valid &= (a >= 0) & (a < n) & (b >= 0) & (b < n)
                    sw += sp.dist[np.clip(a, 0, n - 1), np.clip(b, 0, n - 1)]
                # the sources must stay off the region as well
                span1 = (sp.kL + m1 - sp.context, ps + m1 + 2)
                span2 = (ps + m2 - 2, sp.kR + m2 + sp.context)
                valid &= (span1[1] <= sp.kL) | (span1[0] >= sp.kR)
                valid &= (span2[1] <= sp.kL) | (span2[0] >= sp.kR)
                if not valid.any():
                    continue
                sw = np.where(valid, sw, np.inf)
                j = int(np.argmin(sw))
                cost = lcost[int(m1)] + rcost[int(m2)] + sw[j] + 3.0 * scale  # the extra seam
                pool.append(Candidate([(sp.kL, int(m1)), (int(ps[j]), int(m2))], float(cost)))
    pool.sort(key=lambda c: c.cost)
    return pool


def content_distance(sp: SearchSpace, a: Candidate, b: Candidate) -> float:
    """Mean beat-feature distance between what two candidates play over the region."""
    n = sp.dist.shape[0]
    idx = [(min(a.source_beat(k), n - 1), min(b.source_beat(k), n - 1))
           for k in range(sp.kL, sp.kR)]  # fmt: skip
    return float(np.mean([sp.dist[i, j] for i, j in idx]))


def _apart(a: Candidate, b: Candidate) -> bool:
    return all(abs(x - y) >= MIN_APART for x in a.shifts for y in b.shifts)


def ranked(pool: list[Candidate], seed: int, limit: int = 40) -> list[Candidate]:
    """The pool thinned so every kept source is MIN_APART beats from the others, best first.
    A non-zero seed reorders the near-equal head (within 15 % of the best cost)."""
    diverse: list[Candidate] = []
    for c in pool:
        if all(_apart(c, d) for d in diverse):
            diverse.append(c)
        if len(diverse) >= limit:
            break
    if seed and diverse:
        best = diverse[0].cost
        near = [c for c in diverse if c.cost <= best + 0.15 * abs(best) + 1e-9]
        rest = diverse[len(near) :]
        order = np.random.default_rng(seed).permutation(len(near))
        diverse = [near[i] for i in order] + rest
    return diverse


def differs(sp: SearchSpace, c: Candidate, others: list[Candidate]) -> bool:
    """True when `c` plays different content from each of `others` (mean beat distance at
    least 0.9 × the song's median), so two versions are not the same chorus twice."""
    threshold = 0.9 * float(np.median(sp.dist))
    return all(content_distance(sp, c, d) >= threshold for d in others)
