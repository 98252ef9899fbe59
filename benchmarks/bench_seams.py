"""Seams on real recordings the engine was not tuned on, judged by an independent checker
(`seam_judge.py`, no engine code) and by the engine's own verdict (`metrics["passed"]`).

Tracks: Debian `wesnoth-1.16-music`, split once into a tuning and a checking half
(`seams/split.json`). Per track: two 8-s regions at seeded positions, one at the very start
(0–8 s) and one at the very end; both versions of each fill are judged. Each fill runs in a
fresh, niced subprocess, so its wall time and peak RSS are its own.

Environment: SEAMS_HALF=checking|tuning (default checking), SEAMS_TRACKS=N (first N tracks of
the half, default 5), SEAMS_OUT=path (write every take's record as JSON lines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from common import figure

ROOT = Path(__file__).resolve().parents[1]
MUSIC = Path("/usr/share/games/wesnoth/1.16/data/core/music")
SPLIT = Path(__file__).resolve().parent / "seams" / "split.json"
REGION = 8.0

_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/benchmarks")
from common import peak_rss_mb
from inpaint_studio.core.decode import load_audio
song = load_audio(sys.argv[2])
regions = json.loads(sys.argv[3])
from inpaint_studio.engine.fill import fill_region
from seam_judge import SongStats, judge
stats = None
for start, end in regions:
    rec = {"start": start, "end": end}
    try:
        try:  # reset the peak-RSS mark, so each fill's peak is its own, not an earlier judge's
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
        except OSError:
            pass
        t0 = time.perf_counter()
        result = fill_region(song, start, end, seed=0)
        rec["wall"] = time.perf_counter() - t0
        rec["peak_mb"] = peak_rss_mb()
    except Exception as err:
        rec["error"] = f"{type(err).__name__}: {err}"
        print(json.dumps(rec), flush=True)
        continue
    if stats is None:
        stats = SongStats.of(song.samples, song.sample_rate)
        # the engine's held-out detectors' limits at other quantiles, for recalibration
        import numpy as np
        from inpaint_studio.engine.analysis import analyse
        from inpaint_studio.engine.beats import beat_grid
        from inpaint_studio.engine.jumps import JumpTable
        jt = JumpTable.of(analyse(song), beat_grid(analyse(song)))
        edge = 20
        qs = (0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
        limits = {k: [float(np.quantile(z[edge:-edge], q)) for q in qs]
                  for k, z in jt.own_z.items()}
        limits["level"] = [float(np.quantile(np.abs(jt.step[edge:-edge]), q)) for q in qs]
        rec_limits = {"q": qs, **limits}
    for v in result.versions:
        m = v.meta["metrics"]
        j = judge(song.samples, v.audio.samples, v.meta["seams"], song.sample_rate, stats)
        rec2 = dict(rec, version=v.meta["index"], seams=v.meta["seams"], engine=m,
                    engine_passed=bool(m["passed"]), judge=j, judge_passed=j["passed"],
                    limits=rec_limits)
        print(json.dumps(rec2), flush=True)
"""


def regions(name: str, duration: float) -> list[tuple[float, float]]:
    """Two seeded 8-s regions (fixed per track name), one at 0 s, one ending at the song's end."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    out = [(0.0, REGION)]
    for lo, hi in ((0.1, 0.45), (0.55, 0.9)):
        s = round(float(rng.uniform(lo, hi)) * (duration - REGION), 2)
        out.append((s, s + REGION))
    end = round(duration, 3)
    out.append((round(end - REGION, 3), end))
    return out


def _duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True,
                         check=True)  # fmt: skip
    return float(out.stdout.strip())


def takes(half: str, count: int) -> Iterator[dict]:
    names = json.loads(SPLIT.read_text())[half][:count]
    for name in names:
        path = MUSIC / name
        # regions end a hair before the decoded end, which can be a few ms shorter than the header
        dur = _duration(path) - 0.05
        regs = regions(name, dur)
        proc = subprocess.Popen(["nice", "-n", "10", sys.executable, "-c", _CHILD, str(ROOT),
                                 str(path), json.dumps(regs)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        for ln in proc.stdout:
            if ln.startswith("{"):
                yield {"track": name, **json.loads(ln)}
        err = proc.stderr.read()
        if proc.wait() != 0:
            yield {"track": name, "error": err.strip().splitlines()[-1:]}


def run() -> Iterator[dict]:
    half = os.environ.get("SEAMS_HALF", "checking")
    count = int(os.environ.get("SEAMS_TRACKS", "5"))
    out = os.environ.get("SEAMS_OUT")
    if not MUSIC.exists():
        print("# wesnoth-1.16-music is not installed", file=sys.stderr)
        return
    recs = []
    for rec in takes(half, count):
        recs.append(rec)
        if out:  # as they come, so a long run can be followed
            with open(out, "a") as fh:
                fh.write(json.dumps(rec) + "\n")
    yield from summary(recs, f"seams ({half}, {count} tracks)")


def summary(recs: list[dict], tag: str) -> Iterator[dict]:
    """The figures of a run's records (also for a file: `python bench_seams.py FILE`)."""
    done = [r for r in recs if "judge_passed" in r]
    crashes = [r for r in recs if "error" in r]
    for r in crashes:
        print(f"# crash: {r['track']} {r.get('start')}–{r.get('end')}: {r['error']}",
              file=sys.stderr)
    n = len(done)
    judge_ok = sum(r["judge_passed"] for r in done)
    engine_ok = sum(r["engine_passed"] for r in done)
    agree = sum(r["judge_passed"] == r["engine_passed"] for r in done)
    yield figure(f"{tag}: takes passing the independent checker", judge_ok / max(n, 1),
                 f"of {n}", ">= 0.8", judge_ok / max(n, 1) >= 0.8)
    yield figure(f"{tag}: takes passing the engine's own verdict", engine_ok / max(n, 1),
                 f"of {n}", "info", None)
    yield figure(f"{tag}: engine verdict agrees with the checker", agree / max(n, 1),
                 f"of {n}", ">= 0.9", agree / max(n, 1) >= 0.9)
    yield figure(f"{tag}: crashes or refusals", len(crashes), "regions", "0", not crashes)
    yield figure(f"{tag}: tracks", len({r["track"] for r in recs}), "tracks", "info", None)
    walls = sorted({(r["track"], r["start"]): r["wall"] for r in done}.values())
    peaks = sorted({(r["track"], r["start"]): r["peak_mb"] for r in done}.values())
    if walls:
        yield figure(f"{tag}: wall per fill (median)", float(np.median(walls)), "s", "info",
                     None)
        yield figure(f"{tag}: wall per fill (max)", walls[-1], "s", "info", None)
        yield figure(f"{tag}: peak RSS per fill (max)", peaks[-1], "MB", "<= 600",
                     peaks[-1] <= 600)


if __name__ == "__main__":
    lines = [json.loads(ln) for ln in open(sys.argv[1]) if ln.strip()]
    for fig in summary(lines, Path(sys.argv[1]).stem):
        print(json.dumps(fig))
