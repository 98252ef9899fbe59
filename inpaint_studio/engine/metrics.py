"""The three seam metrics of the local engine (docs/ARCHITECTURE.md), computed from the song
itself (no reference fill):

1. seam novelty z-score: log-mel change across ~46 ms either side of a seam, as a robust z-score
   against the same measure at every beat of the ORIGINAL song at the same beat phase;
2. beat-phase continuity: the fill's onset-weighted circular offset (ms) from the beat grid
   extrapolated from the 6 beats outside each outer seam, over 2 s into the fill;
3. loudness match (BS.1770): the fill's loudness vs equal-length context on both sides, and the
   momentary-loudness step at each outer seam in excess of the original's own step there.

Each is also computed for the ORIGINAL at the same instants, so a readout can show what is
ordinary for this song there, and the gates are judged against it (real music has its own
jumps, dynamics and rubato): seam z ≤ max(3, original + 2); beat phase ≤ 40 ms where the
original itself is steady there; |ΔLU| ≤ 1.5 (or within 1.5 of the original's own ΔLU) and
step excess ≤ 2 LU.

Those three steer the seam search; the verdict (`passed`, `verdict`) also counts detectors the
search never sees (engine/jumps.py: timbre, harmony and onset jumps, a level step at each seam,
and a replaced ending), so a take is not graded only by the measure it was optimised for. A seam
at the song's very start or end (a region from 0 s or to the end) is no seam and is not measured.
`measure` is the one entry point, for tests, the engine and the app."""

from __future__ import annotations

import numpy as np

from inpaint_studio.core.audio import Audio
from inpaint_studio.engine.analysis import Analysis, analyse, slice_features
from inpaint_studio.engine.beats import BeatGrid, beat_grid
from inpaint_studio.engine.jumps import KINDS, JumpTable, tail_level_db
from inpaint_studio.engine.loudness import SongLevels, loudness, momentary
from inpaint_studio.engine.novelty import (  # noqa: F401 - re-exported for callers
    SEAM_Z_MAX,
    SEAM_Z_OVER_ORIGINAL,
    phase_reference,
    seam_limit,
)
from inpaint_studio.engine.novelty import novelty_at as _novelty_at
from inpaint_studio.engine.window import Window, read

BEAT_PHASE_MAX_MS = 40.0
LOUDNESS_MAX_LU = 1.5
STEP_EXCESS_MAX_LU = 2.0
PHASE_FIT_BEATS = 6
PHASE_SPAN = 2.0
EDGE = 0.1  # s: a seam this close to the song's start or end is no seam

HELD_OUT = (*KINDS, "level")  # gates from engine/jumps.py: detectors the seam search never sees
# The gates `passed` is made of, chosen on the tuning half of `benchmarks/run.py seams` for
# agreement with its independent checker (benchmarks/seams/calibrate.py): the seam-novelty and
# 40-ms beat-phase gates steer the search and are shown, but do not decide; a beat slip beyond
# BEAT_SLIP_MS (where the original is steady to that) does.
COUNTED = ("loudness", "beat_slip", *HELD_OUT, "ending")
BEAT_SLIP_MS = 120.0


def verdict(gates: dict) -> bool:
    """The engine's verdict on a version: every counted gate that was judged holds."""
    return all(gates.get(k) is not False for k in COUNTED)


def seam_z(audio: Audio | Window, an: Analysis, grid: BeatGrid, t: float) -> float:
    """Seam novelty z-score of `audio` at `t`, against the original's `an`/`grid`."""
    logmel, _, t0, dt = slice_features(audio, t - 0.4, t + 0.4)
    nov = float(_novelty_at(logmel, t0, dt, t))
    med, sigma = phase_reference(an, grid, t)
    return (nov - med) / sigma


def predicted_seam_ok(an: Analysis, grid: BeatGrid, seams: list[float],
                      cut_novelty: list[float]) -> bool:
    """Whether a plan's seams would pass the seam gate, judged on the analysis features
    before anything is rendered (the render's crossfade only softens a cut)."""
    for t, cut in zip(seams, cut_novelty, strict=True):
        med, sigma = phase_reference(an, grid, t)
        own = float(_novelty_at(an.logmel, 0.0, an.frame_seconds, t))
        if (cut - med) / sigma > seam_limit((own - med) / sigma):
            return False
    return True


def beat_phase_ms(audio: Audio | Window, grid: BeatGrid, t: float, into_fill_after: bool) -> float:
    """|onset-weighted circular mean offset| (ms) of `audio`'s onsets over 2 s on one side of
    `t` from the grid fitted to the 6 beats on the other side (`into_fill_after`: fit before t,
    measure after; otherwise fit after, measure before)."""
    times = grid.times
    if into_fill_after:
        fit = times[times < t][-PHASE_FIT_BEATS:]
        span = (t, t + PHASE_SPAN)
    else:
        fit = times[times > t][:PHASE_FIT_BEATS]
        span = (t - PHASE_SPAN, t)
    if len(fit) < 3:
        return float("nan")
    k = np.arange(len(fit))
    slope, icpt = np.polyfit(k, fit, 1)
    _, onset, t0, dt = slice_features(audio, span[0] - 0.3, span[1] + 0.3)
    ft = t0 + np.arange(len(onset)) * dt
    # strong onset peaks only (kicks, snares, note attacks), weighted by strength squared, so a
    # run of even sixteenths (a fill, hats) cannot drag the mean around the circle
    peak = np.zeros(len(onset), bool)
    peak[1:-1] = (onset[1:-1] > onset[:-2]) & (onset[1:-1] >= onset[2:])
    sel = (ft >= span[0]) & (ft <= span[1]) & peak
    w = onset[sel].astype(np.float64) ** 2
    if w.sum() <= 1e-9:
        return float("nan")
    theta = 2 * np.pi * (ft[sel] - icpt) / slope
    mean = np.sum(w * np.exp(1j * theta)) / w.sum()
    return abs(float(np.angle(mean)) / (2 * np.pi) * slope * 1000.0)


def loudness_delta(audio: Audio | Window, original: Audio, t0: float, t1: float,
                   levels: SongLevels | None = None, own: float | None = None) -> float:
    """Loudness of `audio` over [t0, t1] minus the original's over equal lengths either side
    (`levels`: the original's, measured once per stretch; `own`: `audio`'s over [t0, t1] when
    the caller measured it already)."""
    sr = audio.sample_rate
    i0, i1 = int(t0 * sr), int(t1 * sr)
    levels = levels if levels is not None else SongLevels(original.samples, sr)
    if own is None:
        own = levels.span(i0, i1) if audio is original else loudness(read(audio, i0, i1), sr)
    return own - levels.context(i0, i1, int((t1 - t0) * sr))


def _step(audio: Audio | Window, t: float) -> float:
    sr = audio.sample_rate
    n = int(0.4 * sr)  # momentary's 400 ms either side
    i = int(round(t * sr))
    a = max(0, i - n)
    near = read(audio, a, i + n)
    t = (i - a) / sr  # the same frame, counted from `a`
    return momentary(near, sr, t, False) - momentary(near, sr, t, True)


def shortfall(m: dict) -> tuple[int, float]:
    """How far a measured version (`measure`'s dict) misses the gates: (gates failed, summed
    excess beyond each failed limit, in units of that limit). (0, 0.0) for a pass. Only ranks
    fallback versions; it never changes what `gates` and `passed` say."""
    z = [1.0 if a is None else (a - float(seam_limit(b or 0.0))) / SEAM_Z_MAX
         for a, b in zip(m["seam_z"], m["seam_z_original"], strict=True)]  # fmt: skip
    phase = [1.0 if p is None else (p - BEAT_PHASE_MAX_MS) / BEAT_PHASE_MAX_MS
             for p, p0 in zip(m["beat_phase_ms"], m["beat_phase_original_ms"], strict=True)
             if p0 is not None and p0 <= BEAT_PHASE_MAX_MS]  # fmt: skip
    d, d0 = m["loudness_delta_lu"] or 0.0, m["loudness_delta_original_lu"] or 0.0
    loud = [(min(abs(d), abs(d - d0)) - LOUDNESS_MAX_LU) / LOUDNESS_MAX_LU]
    loud += [(s - STEP_EXCESS_MAX_LU) / STEP_EXCESS_MAX_LU for s in m["loudness_step_excess_lu"]
             if s is not None]
    excess = {k: max([0.0, *v]) for k, v in (("seam", z), ("beat_phase", phase),
                                              ("loudness", loud))}  # fmt: skip
    excess.update({k: 1.0 for k in (*HELD_OUT, "ending", "beat_slip")})  # failed or not
    failed = sum(v is False for v in m["gates"].values())
    return failed, round(sum(excess.get(k, 1.0) for k, v in m["gates"].items() if v is False), 6)


def measure(
    original: Audio,
    version: Audio | Window,
    seams: list[float],
    *,
    analysis: Analysis | None = None,
    grid: BeatGrid | None = None,
    jumps: JumpTable | None = None,
    levels: SongLevels | None = None,
    level: float | None = None,
) -> dict:
    """Metrics of `version` (the original with [seams[0], seams[-1]] replaced) and of the
    original at the same instants, with per-metric gates and `passed`. JSON-serialisable.
    `levels`: the original's loudness and seam figures, shared by the takes of one fill (made
    for `original`; its figures are keyed by instant and grid); `level`: the
    version's loudness over [seams[0], seams[-1]] when the caller measured it already."""
    an = analysis if analysis is not None else analyse(original)
    grid = grid if grid is not None else beat_grid(an)
    tL, tR = float(seams[0]), float(seams[-1])
    # a region at the song's very start (end) has no seam there: nothing is cut at the edge
    dur = original.duration
    inner = [float(t) for t in seams if EDGE < t < dur - EDGE]
    levels = levels if levels is not None else SongLevels(original.samples, original.sample_rate)
    z = [seam_z(version, an, grid, t) for t in inner]
    z0 = [levels.figure(("seam_z", id(grid), t), lambda t=t: seam_z(original, an, grid, t))
          for t in inner]  # fmt: skip
    seam_ok = all(
        a <= max(SEAM_Z_MAX, b + SEAM_Z_OVER_ORIGINAL) for a, b in zip(z, z0, strict=True))
    phase, phase0, phase_ok, slip_ok = [], [], None, None
    if not grid.fallback:
        sides = [(t, after) for t, after in ((tL, True), (tR, False)) if t in inner]
        phase = [beat_phase_ms(version, grid, t, after) for t, after in sides]
        phase0 = [levels.figure(("beat_phase", id(grid), t, after),
                                lambda t=t, after=after: beat_phase_ms(original, grid, t, after))
                  for t, after in sides]  # fmt: skip
        judged = [(p, p0) for p, p0 in zip(phase, phase0, strict=True)
                  if np.isfinite(p0) and p0 <= BEAT_PHASE_MAX_MS]  # fmt: skip
        if judged:  # where the original itself is steady
            phase_ok = all(np.isfinite(p) and p <= BEAT_PHASE_MAX_MS for p, _ in judged)
        slips = [(p, p0) for p, p0 in zip(phase, phase0, strict=True)
                 if np.isfinite(p0) and p0 <= BEAT_SLIP_MS]  # fmt: skip
        if slips:
            slip_ok = all(np.isfinite(p) and p <= BEAT_SLIP_MS for p, _ in slips)
    d = loudness_delta(version, original, tL, tR, levels, level)
    d0 = loudness_delta(original, original, tL, tR, levels)
    steps = [max(0.0, abs(_step(version, t)) - abs(_step(original, t))) for t in (tL, tR)
             if t in inner]
    loud_ok = (abs(d) <= LOUDNESS_MAX_LU or abs(d - d0) <= LOUDNESS_MAX_LU) and all(
        s <= STEP_EXCESS_MAX_LU for s in steps)
    table = jumps if jumps is not None else JumpTable.of(an, grid)
    held_out = [table.at(version, t) for t in inner]
    gates = {"seam": bool(seam_ok), "beat_phase": phase_ok, "loudness": bool(loud_ok),
             "beat_slip": slip_ok}
    for kind in HELD_OUT:
        gates[kind] = not any(kind in h["failed"] for h in held_out)
    ending = None
    if tR >= dur - EDGE:  # the ending was replaced: its last second against the original's
        ending = [tail_level_db(version), tail_level_db(original)]
        gates["ending"] = abs(ending[0] - ending[1]) <= table.limit["level"]
    r = lambda v: None if v is None or not np.isfinite(v) else round(float(v), 3)  # noqa: E731
    return {
        "seams": [round(t, 4) for t in inner],
        "seam_z": [r(v) for v in z],
        "seam_z_original": [r(v) for v in z0],
        "beat_phase_ms": [r(v) for v in phase],
        "beat_phase_original_ms": [r(v) for v in phase0],
        "loudness_delta_lu": r(d),
        "loudness_delta_original_lu": r(d0),
        "loudness_step_excess_lu": [r(v) for v in steps],
        "held_out": held_out,
        "ending_db": None if ending is None else [r(v) for v in ending],
        "gates": gates,
        "counted": [k for k in COUNTED if k in gates],
        "passed": verdict(gates),
    }
