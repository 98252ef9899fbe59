"""Turn a chosen candidate into a concrete plan: refine each shift on fine onset envelopes, map
target time to source time piecewise-linearly through the beats (absorbing tempo drift), and
place each seam inside a slack window at the instant predicted to pass the seam gate (novelty
z against the song's own, at that beat phase) by the widest margin.

A `Plan` is a list of `Piece`s that tile [first seam, last seam]; each plays source audio
through a linear time map. Pieces of the same source meet at `joins` (continuous material,
different stretch); pieces of different sources, and the original, meet at `seams`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from inpaint_studio.engine.analysis import Analysis
from inpaint_studio.engine.beats import BeatGrid
from inpaint_studio.engine.novelty import HALF, PhaseTable, seam_limit
from inpaint_studio.engine.search import Candidate

FINE_FFT, FINE_HOP = 512, 128  # ~6 ms onset envelope for shift refinement
REFINE_CONTEXT = 3.0
OUTWARD = 0.25  # beats a seam may move outside the region's beats on a first plan
OUTWARD_WIDE = 2.0  # ...and on a retry: the search matched 8 beats of context there
MARGIN_ENOUGH = 1.0  # z below the seam gate's limit beyond which cuts count as equally safe
PULL = 0.05  # objective per beat away from the preferred instant
# a seam is preferred half a seam crossfade (render.SEAM_FADE, 60 ms) before its beat, so the
# fade ends as the beat's attack starts: one source plays it whole, not two smeared together
EARLY = -0.030


@dataclass
class Piece:
    """Target [t0, t1] plays source time s0 + rate * (t - t0)."""

    t0: float
    t1: float
    s0: float
    rate: float
    part: int  # which source of the candidate (0 or 1)

    def source(self, t: float | np.ndarray) -> float | np.ndarray:
        return self.s0 + self.rate * (np.asarray(t) - self.t0)


@dataclass
class Plan:
    pieces: list[Piece]
    seams: list[float]  # target instants where material changes source (first and last too)
    sources: list[dict] = field(default_factory=list)  # per part: source start/end (s), shift
    cut_novelty: list[float] = field(default_factory=list)  # predicted at each seam

    @property
    def start(self) -> float:
        return self.pieces[0].t0

    @property
    def end(self) -> float:
        return self.pieces[-1].t1


def fine_onset(mono: np.ndarray, rate: int, t0: float, t1: float) -> tuple[np.ndarray, float]:
    """(onset envelope at ~6 ms, seconds per value) of `mono` between t0 and t1."""
    a = int(max(0.0, t0) * rate)
    b = int(min(len(mono) / rate, max(t1, t0)) * rate)
    x = mono[a:b]
    if len(x) < FINE_FFT + FINE_HOP:
        return np.zeros(1, np.float32), FINE_HOP / rate
    frames = np.lib.stride_tricks.sliding_window_view(x, FINE_FFT)[::FINE_HOP]
    mag = np.log(np.abs(np.fft.rfft(frames * np.hanning(FINE_FFT), axis=1)) + 1e-3)
    flux = np.maximum(0.0, np.diff(mag, axis=0)).mean(axis=1)
    env = np.concatenate([[0.0], flux])
    # time of value i: centre of frame i, offset by the slice start
    return env.astype(np.float32), FINE_HOP / rate


def refine_offset(an: Analysis, t_ref: float, mapping, before: bool, max_lag: float) -> float:
    """Seconds to add to the source time so its onset envelope over ~3 s of context (before
    or after the seam), read through the beat map `mapping` (so tempo drift cannot bias it),
    lines up with the original's. 0 when the match is not convincing."""
    rate = an.rate
    dur = len(an.mono) / rate
    ta, tb = (t_ref - REFINE_CONTEXT, t_ref) if before else (t_ref, t_ref + REFINE_CONTEXT)
    if ta < 0 or tb > dur:
        return 0.0
    e1, dt = fine_onset(an.mono, rate, ta, tb)
    if len(e1) < 8:
        return 0.0
    ft = ta + np.arange(len(e1)) * dt  # target times of the envelope values
    st = np.asarray(mapping(ft), dtype=np.float64)
    sa, sb = float(st[0]) - max_lag - 0.05, float(st[-1]) + max_lag + 0.05
    if sa < 0 or sb > dur:
        return 0.0
    e2, _ = fine_onset(an.mono, rate, sa, sb)
    e1 = e1 - e1.mean()
    n1 = float(np.linalg.norm(e1))
    if n1 <= 1e-9:
        return 0.0
    src_axis = sa + np.arange(len(e2)) * dt
    lags = np.arange(-max_lag, max_lag + dt / 2, dt / 2)
    scores = []
    for lag in lags:
        w = np.interp(st + lag, src_axis, e2)
        w = w - w.mean()
        scores.append(float(e1 @ w / (n1 * np.linalg.norm(w) + 1e-9)))
    best = int(np.argmax(scores))
    if scores[best] < 0.2:
        return 0.0
    return float(lags[best])


def _novelty(an: Analysis, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Mean absolute log-mel difference between the frames ending at `before` and starting
    at `after` (arrays of times)."""
    fa = an.frame_at(np.asarray(before) - HALF)
    fb = an.frame_at(np.asarray(after) + HALF)
    return np.abs(an.logmel[fa] - an.logmel[fb]).mean(axis=1)


def place_seam(an: Analysis, lo: float, hi: float, map_from, map_to, prefer: float,
               ibi: float, table: PhaseTable) -> tuple[float, float]:
    """(instant, its cut novelty): the instant in [lo, hi] where cutting from `map_from(t)`
    material to `map_to(t)` is predicted to pass the seam gate by the widest margin — its z
    against the song's own change at that beat phase, minus the gate's limit there (which
    allows for a change the original itself makes at that instant) — with a mild pull toward
    `prefer`. Margins beyond MARGIN_ENOUGH count alike, so a safe cut stays near `prefer`
    (a cut further out would replace more of the song for no gain the seam gate can see)."""
    step = an.frame_seconds
    ts = np.arange(lo, hi + 1e-9, step)
    if len(ts) == 0:
        ts = np.asarray([float(np.clip(prefer, lo, hi))])
    cut = _novelty(an, map_from(ts), map_to(ts))
    margin = table.z(ts, cut) - seam_limit(table.own_z(ts))
    obj = np.maximum(margin, -MARGIN_ENOUGH) + PULL * np.abs(ts - prefer) / max(ibi, 1e-3)
    i = int(np.argmin(obj))
    return float(ts[i]), float(cut[i])


def _beat_map(grid: BeatGrid, b0: int, b1: int, shift: int, d0: float, d1: float):
    """Knot arrays (target times, source times) for target beats b0..b1 under `shift`,
    with the refinement offset ramping from d0 to d1."""
    n = len(grid.times)
    bs = np.arange(max(b0, 0), min(b1, n - 1 - shift if shift > 0 else n - 1) + 1)
    bs = bs[(bs + shift >= 0) & (bs + shift < n)]
    tt = grid.times[bs]
    ss = grid.times[bs + shift]
    ramp = np.linspace(0.0, 1.0, len(bs)) if len(bs) > 1 else np.zeros(len(bs))
    return tt, ss + d0 + (d1 - d0) * ramp


def _pieces(tt: np.ndarray, ss: np.ndarray, t0: float, t1: float, part: int,
            tol: float = 0.010) -> list[Piece]:
    """Linear pieces over [t0, t1] following the knots within `tol` seconds (greedy merge;
    tracked beats jitter by a few ms, which is no reason to cut and re-stretch).

    From each cut, the longest span whose straight line stays within `tol` of the map at every
    cut inside it; all spans from one cut are tested at once (a 60-s region has ~120 cuts)."""
    cuts = np.asarray([t0] + [float(t) for t in tt if t0 + 0.05 < t < t1 - 0.05] + [t1])
    vals = np.interp(cuts, tt, ss)
    vals = np.where(cuts < tt[0], ss[0] + (cuts - tt[0]), vals)
    vals = np.where(cuts > tt[-1], ss[-1] + (cuts - tt[-1]), vals)
    pieces: list[Piece] = []
    i, last = 0, len(cuts) - 1
    while i < last:
        a, sa = cuts[i], vals[i]
        ends = np.arange(i + 2, last + 1)  # spans i..j with at least one cut inside
        j = i + 1
        if len(ends):
            mid = np.arange(i + 1, last)  # every inner cut m (i < m < j counts for span j)
            slope = (vals[ends] - sa) / (cuts[ends] - a)
            line = sa + slope[:, None] * (cuts[mid] - a)[None, :]
            bad = (np.abs(line - vals[mid][None, :]) > tol) & (mid[None, :] < ends[:, None])
            ok = ~bad.any(axis=1)
            if ok.any():
                j = int(ends[np.nonzero(ok)[0][-1]])
        b = cuts[j]
        pieces.append(Piece(float(a), float(b), float(sa), float((vals[j] - sa) / (b - a)),
                            part))  # fmt: skip
        i = j
    return pieces


EDGE = 0.1  # s: a region starting (ending) this close to the song's edge has no seam there


def make_plan(an: Analysis, grid: BeatGrid, cand: Candidate, kL: int, kR: int,
              start: float, end: float, outward: float = OUTWARD,
              table: PhaseTable | None = None) -> Plan:
    """Refine, map and place seams for one candidate; the plan always covers [start, end].
    Seams may move up to `outward` beats outside the region's beats (more replaced than
    asked, in exchange for a cut that is better hidden). `table`: the song's PhaseTable on
    `grid`, computed here when not given (pass it when planning many candidates)."""
    table = table if table is not None else PhaseTable(an, grid)
    times = grid.times
    ibi_l, ibi_r = grid.ibi_at(times[kL]), grid.ibi_at(times[min(kR, len(times) - 1)])
    max_lag = 0.2 * (grid.period if not grid.fallback else 0.5)
    parts = cand.parts
    m_first, m_last = parts[0][1], parts[-1][1]
    raw_l = _beat_map(grid, kL - 10, kL + 2, m_first, 0.0, 0.0)
    raw_r = _beat_map(grid, kR - 2, kR + 10, m_last, 0.0, 0.0)
    dL = refine_offset(an, times[kL], lambda t: _extrap(*raw_l, t), True, max_lag)
    dR = refine_offset(an, times[kR], lambda t: _extrap(*raw_r, t), False, max_lag)
    maps = []
    if len(parts) == 1:
        maps.append(_beat_map(grid, kL - 2, kR + 2, m_first, dL, dR))
        bounds = [kL, kR]
    else:
        p = parts[1][0]
        maps.append(_beat_map(grid, kL - 2, p + 2, m_first, dL, dL))
        maps.append(_beat_map(grid, p - 2, kR + 2, m_last, dR, dR))
        bounds = [kL, p, kR]

    def mapper(k: int):
        tt, ss = maps[k]
        return lambda t: _extrap(tt, ss, t)

    ident = lambda t: np.asarray(t)  # noqa: E731 - the original plays itself
    # left seam: up to one beat inward (but never past the region start), `outward` beats out
    dur = an.duration
    lo_l = max(times[kL] - outward * ibi_l, 0.1)
    hi_r = min(times[kR] + outward * ibi_r, dur - 0.1)
    tL, cL = place_seam(an, lo_l, min(times[kL] + ibi_l, start), ident, mapper(0),
                        times[kL] + EARLY, ibi_l, table)
    tR, cR = place_seam(an, max(times[kR] - ibi_r, end), hi_r, mapper(len(maps) - 1), ident,
                        times[kR] + EARLY, ibi_r, table)
    # a region at the very start or end of the song has no seam there: the fill plays from the
    # song's first frame (to its last), with nothing to cut against
    if start <= EDGE:
        tL, cL = 0.0, 0.0
    if end >= dur - EDGE:
        tR, cR = dur, 0.0
    seams, cuts = [tL], [cL]
    if len(parts) == 2:
        tp = times[bounds[1]]
        ibi = grid.ibi_at(tp)
        tM, cM = place_seam(an, tp - 0.5 * ibi, tp + 0.5 * ibi, mapper(0), mapper(1), tp + EARLY,
                            ibi, table)
        seams.append(tM)
        cuts.append(cM)
    seams.append(tR)
    cuts.append(cR)
    pieces: list[Piece] = []
    sources = []
    for k in range(len(maps)):
        tt, ss = maps[k]
        pieces += _pieces(tt, ss, seams[k], seams[k + 1], k)
        src = [p for p in pieces if p.part == k]
        sources.append({
            "shift_beats": int(parts[k][1]),
            "source_start": round(float(src[0].s0), 4),
            "source_end": round(float(src[-1].source(src[-1].t1)), 4),
            "target_start": round(float(seams[k]), 4),
            "target_end": round(float(seams[k + 1]), 4),
        })  # fmt: skip
    return Plan(pieces, seams, sources, cuts)


def _extrap(tt: np.ndarray, ss: np.ndarray, t) -> np.ndarray:
    """Piecewise-linear through the knots, continued at slope 1 beyond them."""
    t = np.asarray(t, dtype=np.float64)
    y = np.interp(t, tt, ss)
    y = np.where(t < tt[0], ss[0] + (t - tt[0]), y)
    return np.where(t > tt[-1], ss[-1] + (t - tt[-1]), y)
