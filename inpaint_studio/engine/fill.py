"""The engine's entry point: fill a region of a song with two versions made of
the song's own material — analysis, beats, search, plan, render, metrics — in a few seconds.

Music with no usable beat falls back to a fixed grid of short frames (the paper's frame-level
similarity) and is marked low-confidence; a region that cannot be filled raises EngineError."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.engine.analysis import analyse
from inpaint_studio.engine.beats import BeatGrid, beat_grid, fixed_grid
from inpaint_studio.engine.errors import EngineError
from inpaint_studio.engine.jumps import JumpTable
from inpaint_studio.engine.limits import MAX_REGION, MAX_SONG, MIN_REGION
from inpaint_studio.engine.loudness import FLOOR_LUFS, SongLevels, loudness
from inpaint_studio.engine.metrics import measure, predicted_seam_ok, shortfall
from inpaint_studio.engine.novelty import PhaseTable
from inpaint_studio.engine.plan import OUTWARD_WIDE, Plan, make_plan
from inpaint_studio.engine.render import render_fill, splice, splice_window
from inpaint_studio.engine.result import FillResult, FillVersion
from inpaint_studio.engine.search import (
    CONTEXT_BEATS,
    Candidate,
    SearchSpace,
    beat_features,
    candidates,
    differs,
    distance_matrix,
    ranked,
)
from inpaint_studio.engine.window import read

FRAME_STEP = 0.25  # seconds per unit of the frame-level grid
EXTRA_TRIES = 3  # candidates rendered beyond the versions asked for, when some fail a gate
MEASURE_MARGIN = 3.0  # s of the version either side of its fill that the measures read
PLANNED = 12  # best-ranked candidates planned (cheap) before any is rendered
ENGINE_NAME = "local-self-similarity"
NOTES = [
    "The local engine fills the region with passages of this song itself; it cannot create "
    "new material.",
    "The prompt named no instrument or style, so it only ranked the candidates (e.g. "
    "'energetic' or 'calm'); new lyrics cannot be sung.",
]
_LOUD_WORDS = ("energetic", "loud", "intense", "big", "driving", "powerful", "heavy", "upbeat")
_SOFT_WORDS = ("calm", "soft", "quiet", "gentle", "mellow", "sparse", "chill", "intimate")


def _validate(audio: Audio, start: float, end: float, num_versions: int) -> None:
    dur = audio.duration
    if not (math.isfinite(start) and math.isfinite(end)):
        raise EngineError("The region's start and end must be numbers of seconds.")
    if audio.frames == 0:
        raise EngineError("The song holds no audio.")
    if dur > MAX_SONG:
        raise EngineError(f"The local engine handles songs up to 10 minutes; this one is "
                          f"{dur / 60:.1f} minutes. Use MusicGPT, or trim the song first.")
    if start < 0 or end > dur + 1e-6 or end <= start:
        raise EngineError(f"The region {start:.2f}–{end:.2f} s is not inside the song "
                          f"(0–{dur:.2f} s).")
    length = end - start
    if length < MIN_REGION - 1e-6 or length > MAX_REGION + 1e-6:
        raise EngineError(f"The local engine fills regions of {MIN_REGION:.0f}–{MAX_REGION:.0f} s;"
                          f" this one is {length:.1f} s.")
    if not 1 <= num_versions <= 4:
        raise EngineError("Ask for between 1 and 4 versions.")


def _prompt_preference(prompt: str) -> int:
    """+1 for energetic words, -1 for calm ones, 0 otherwise: used only to order the takes."""
    words = prompt.lower()
    up = sum(w in words for w in _LOUD_WORDS)
    down = sum(w in words for w in _SOFT_WORDS)
    return int(np.sign(up - down))


def _plans(an, grid, queue: list[Candidate], kL: int, kR: int, start: float, end: float,
           ) -> tuple[list[tuple[Candidate, Plan]], list[tuple[Candidate, Plan]]]:
    """Plans for the best-ranked candidates: (predicted to pass the seam gate, the others).
    A plan whose seams fail is retried with seams up to OUTWARD_WIDE beats outside the region
    (inside the context the search matched)."""
    good, rest = [], []
    table = PhaseTable(an, grid)  # once per song and grid: every seam instant looks it up
    for cand in queue[:PLANNED]:
        plan = make_plan(an, grid, cand, kL, kR, start, end, table=table)
        if predicted_seam_ok(an, grid, plan.seams, plan.cut_novelty):
            good.append((cand, plan))
            continue
        wide = make_plan(an, grid, cand, kL, kR, start, end, outward=OUTWARD_WIDE, table=table)
        if predicted_seam_ok(an, grid, wide.seams, wide.cut_novelty):
            good.append((cand, wide))
        else:
            rest.append((cand, plan))
    return good, rest


def _search(an, grid, start: float, end: float, num_versions: int, seed: int,
            ) -> tuple[SearchSpace, list[Candidate], int, int]:
    """(search space, ranked candidates, kL, kR) on `grid`; EngineError if nothing fits."""
    times = grid.times
    kL = int(np.searchsorted(times, start, side="right") - 1)
    kR = int(np.searchsorted(times, end, side="left"))
    kL, kR = max(kL, 0), min(kR, len(times) - 2)
    if kR - kL < 2:
        raise EngineError("The region is too short for the song's beat.")
    groups = beat_features(an, times)
    dist = distance_matrix(groups)
    inner = distance_matrix([groups[1], groups[3]])  # harmony and level of the region itself
    for context in (CONTEXT_BEATS, 4, 2):  # shorter context only when the song is short
        bar = 1 if grid.fallback else (grid.per_bar if grid.per_bar > 1 else 4)
        sp = SearchSpace(dist, inner, kL, kR, context, bar, grid.positions)
        pool = candidates(sp)
        if len(pool) >= num_versions:
            break
    if not pool:
        raise EngineError("There is not enough music outside the region to fill it from: the "
                          "song needs at least as much material elsewhere as the region is long.")
    return sp, ranked(pool, seed), kL, kR


def _frame_grid(an, grid: BeatGrid) -> BeatGrid:
    """The frame-level grid (short fixed steps) used when beat-level seams cannot hide."""
    dur = an.duration
    return BeatGrid(fixed_grid(dur, FRAME_STEP), FRAME_STEP, grid.strength, False, True)


def _version(audio: Audio, an, grid: BeatGrid, plan: Plan, seed: int, method: str,
             cost: float, jumps: JumpTable | None = None, levels: SongLevels | None = None,
             ) -> FillVersion | None:
    """Render and measure one planned candidate; None when its fill would be silent.
    `jumps`, `levels`: the song's detector table and loudness figures, shared by the takes."""
    fill, a0, gain_db = render_fill(audio, plan, levels)
    sr = audio.sample_rate
    # measured on the fill and a few seconds either side (every measure reaches < 2.5 s past a
    # seam); the whole version is spliced only when a caller asks for it
    near = splice_window(audio, fill, a0, plan, MEASURE_MARGIN)
    seams = [round(t, 4) for t in plan.seams]  # measured where reported, so it reproduces
    # the fill's level over its outer seams as reported: the loudness measure reads it too
    level = loudness(read(near, int(seams[0] * sr), int(seams[-1] * sr)), sr)
    if level <= FLOOR_LUFS + 1:
        return None
    metrics = measure(audio, near, seams, analysis=an, grid=grid, jumps=jumps, levels=levels,
                      level=level)
    del near
    notes = []
    if grid.fallback:
        notes.append("No steady beat was found: filled by frame-level similarity.")
    elif method == "frame":
        notes.append("Cut on a fine frame grid: no beat-aligned cut hid well here.")
    failed = [k for k in metrics["counted"] if metrics["gates"][k] is False]  # the verdict's
    if failed:
        notes.append("Quality gates not met: " + ", ".join(failed) + ".")
    return FillVersion(lambda: splice(audio, fill, a0, plan), {
        "engine": ENGINE_NAME,
        "method": "frame-fallback" if grid.fallback else method,
        "seed": seed,
        "seams": seams,
        "replaced": [round(plan.start, 4), round(plan.end, 4)],
        "sources": plan.sources,
        "metrics": metrics,
        "confidence": "low" if grid.fallback or not metrics["passed"] else "ok",
        "gain_db": round(gain_db, 2),
        "loudness_lufs": round(level, 2),
        "tempo_bpm": round(60.0 / grid.period, 2),
        "cost": round(cost, 4),
        "notes": notes,
    })  # fmt: skip


def _differs(cand: Candidate, plan: Plan, space: SearchSpace,
             kept: list[tuple[Candidate, Plan, SearchSpace]]) -> bool:
    """Different content from every kept take: by beat features within one search space, by
    source passages at least 4 s apart across spaces."""
    for c, p, s in kept:
        if s is space:
            if not differs(space, cand, [c]):
                return False
        elif abs(plan.sources[0]["source_start"] - p.sources[0]["source_start"]) < 4.0:
            return False
    return True


def _takes(audio: Audio, an, grid: BeatGrid, planned: list, num_versions: int, seed: int,
           lap: Callable[[int, float], None], jumps: JumpTable | None = None,
           levels: SongLevels | None = None) -> tuple[list[FillVersion], list[FillVersion]]:
    """Render and measure planned takes until `num_versions` pass the gates or the try budget
    is spent: (passing takes, failing takes best first, at most as many as are missing).

    Plans predicted to pass are tried before the rest, both content-distinct ones and then
    (rather than a failing take) ones that repeat a kept take's content; a budget spent on
    unpredicted plans first would leave passing plans unrendered. Failing takes are ranked by
    how far they miss the gates as measured (not by search cost: a cheap source can fail all
    three) and kept as rendered, so what is returned is what was measured."""
    kept: list[FillVersion] = []
    kept_plans: list[tuple[Candidate, Plan, SearchSpace]] = []
    spare: list[tuple[tuple, FillVersion]] = []
    tried: set[int] = set()
    for predicted, strict in ((True, True), (True, False), (False, True), (False, False)):
        for i, (cand, plan, space, method, pred) in enumerate(planned):
            if len(kept) >= num_versions or len(tried) >= num_versions + EXTRA_TRIES:
                break
            if pred != predicted or i in tried:
                continue
            if strict and not _differs(cand, plan, space, kept_plans):
                continue
            tried.add(i)
            version = _version(audio, an, grid, plan, seed, method, cand.cost, jumps, levels)
            if version is None:
                continue  # silent material: never a take
            if version.meta["confidence"] == "ok" or grid.fallback:
                kept.append(version)
                kept_plans.append((cand, plan, space))
            else:
                spare.append(((*shortfall(version.meta["metrics"]), cand.cost, i), version))
                spare.sort(key=lambda kv: kv[0])
            # hold no more failing takes than could still be needed
            del spare[max(0, num_versions - len(kept)) :]
            lap(len(tried), min(1.0, len(kept) / num_versions))
    return kept, [v for _, v in spare]


def fill_region(
    audio: Audio,
    start: float,
    end: float,
    *,
    seed: int = 0,
    num_versions: int = 2,
    prompt: str = "",
    token: CancelToken = NEVER,
    progress: Callable[[float], None] | None = None,
) -> FillResult:
    """Replace [start, end] of `audio` with `num_versions` fills from the song's own material.
    Same input and seed → same output. Raises EngineError for regions it cannot fill."""
    report = progress or (lambda _f: None)
    _validate(audio, start, end, num_versions)
    timings: dict[str, float] = {}
    t_all = clock = time.perf_counter()

    def lap(name: str, fraction: float) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 4)
        clock = now
        token.raise_if_cancelled()
        report(fraction)

    report(0.0)
    if float(np.abs(audio.samples[:, :: max(1, audio.sample_rate // 4000)]).max()) < 1e-4:
        raise EngineError("The song is silent; there is no material to fill the region with.")
    an = analyse(audio, token)
    lap("analysis", 0.35)
    grid = beat_grid(an)
    lap("beats", 0.45)
    sp, queue, kL, kR = _search(an, grid, start, end, num_versions, seed)
    lap("search", 0.6)
    preference = _prompt_preference(prompt)
    good, rest = _plans(an, grid, queue, kL, kR, start, end)
    # (candidate, plan, search space, method, predicted to pass the seam gate)
    planned = [(c, p, sp, "beat", True) for c, p in good]
    if not good and not grid.fallback:
        # no beat-aligned cut hides here (legato, rubato, little repetition): the paper's
        # frame-level similarity on a fine fixed grid, keeping beat-level plans as a fallback
        fgrid = _frame_grid(an, grid)
        try:
            fsp, fqueue, fkL, fkR = _search(an, fgrid, start, end, num_versions, seed)
            fgood, _ = _plans(an, fgrid, fqueue, fkL, fkR, start, end)
            planned += [(c, p, fsp, "frame", True) for c, p in fgood]
        except EngineError:
            pass
    planned += [(c, p, sp, "beat", False) for c, p in rest]
    lap("plan", 0.65)
    versions, spare = _takes(audio, an, grid, planned, num_versions, seed, lambda i, f: lap(
        f"try_{i}", 0.65 + 0.3 * f), JumpTable.of(an, grid),
        SongLevels(audio.samples, audio.sample_rate))
    versions += spare[: num_versions - len(versions)]  # failing takes: the last resort
    if not versions:
        raise EngineError("The only material that fits this region is silent; the local "
                          "engine will not pass silence off as a fill.")
    if preference and len(versions) > 1:  # the prompt only orders the takes
        versions.sort(key=lambda v: -preference * v.meta["loudness_lufs"])
    for i, v in enumerate(versions):
        v.meta["index"] = i + 1
    timings["total"] = round(time.perf_counter() - t_all, 4)
    notes = list(NOTES)
    if len(versions) < num_versions:
        notes.append(f"Only {len(versions)} distinct passage(s) fit this region.")
    report(1.0)
    _release_heap()
    return FillResult(versions, timings, notes)


def _release_heap() -> None:
    """Give the analysis' freed memory back to the system before the caller splices whole
    versions (~210 MB each for a 10-minute song): glibc keeps freed blocks below its (grown)
    mmap threshold in the heap, ~50 MB after a fill. A no-op where there is no glibc."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
