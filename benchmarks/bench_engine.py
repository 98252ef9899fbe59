"""The local engine: wall time and peak memory of an 8-s, a 30-s and a 60-s region of a 4-minute
stereo 44.1 kHz song (each in a fresh subprocess, so peak RSS is the engine's own), and the metric
values of both versions. The floor is the same subprocess's analysis pass alone.

If Debian's wesnoth music (orchestral, `apt-get install wesnoth-1.16-music`) or Frets on Fire
songs (band, `fretsonfire-songs-*`) are installed, 8-s regions of a few of them are filled too and
the gates counted, judged against the original's own values at the seams (engine/metrics.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from common import figure

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inpaint_studio.core.synth import synth_song  # noqa: E402

WESNOTH = Path("/usr/share/games/wesnoth/1.16/data/core/music")
FOF = Path("/usr/share/games/fretsonfire/data/songs")
REAL = [WESNOTH / "knolls.ogg", WESNOTH / "battle.ogg", WESNOTH / "elvish-theme.ogg",
        WESNOTH / "traveling_minstrels.ogg", FOF / "sectoid" / "Feelings",
        FOF / "muldjord" / "chaos_god"]  # fmt: skip

_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/benchmarks")
from common import peak_rss_mb
import numpy as np
from inpaint_studio.core.audio import Audio
from inpaint_studio.engine.analysis import analyse
from inpaint_studio.engine.fill import fill_region
samples = np.load(sys.argv[2])
audio = Audio(samples, 44100)
start, end = float(sys.argv[3]), float(sys.argv[4])
t0 = time.perf_counter(); analyse(audio); floor = time.perf_counter() - t0
rss_before = peak_rss_mb()
t0, c0 = time.perf_counter(), time.process_time()
result = fill_region(audio, start, end, seed=0)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"wall": wall, "floor": floor, "cpu": cpu,
                  "peak_mb": peak_rss_mb(),
                  "song_mb": samples.nbytes / 2**20, "rss_before": rss_before,
                  "metrics": [v.meta["metrics"] for v in result.versions]}))
"""


def _child(npy: Path, start: float, end: float) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), str(npy), str(start),
                          str(end)], capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _metric_figures(tag: str, metrics: list[dict]) -> Iterator[dict]:
    for i, m in enumerate(metrics, start=1):
        z = max(m["seam_z"])
        yield figure(f"{tag} v{i} seam z (max)", z, "z", "<= 3", z <= 3.0)
        ph = [p for p in m["beat_phase_ms"] if p is not None]
        if ph:
            yield figure(f"{tag} v{i} beat phase (max)", max(ph), "ms", "<= 40", max(ph) <= 40)
        d = m["loudness_delta_lu"] - m["loudness_delta_original_lu"]
        yield figure(f"{tag} v{i} loudness vs original region", abs(d), "LU", "<= 1.5",
                     abs(d) <= 1.5)


def _real_song(path: Path):
    from inpaint_studio.core.audio import Audio
    from inpaint_studio.core.decode import load_audio

    if path.is_dir():  # Frets on Fire: backing track + guitar stem, mixed
        parts = [load_audio(p) for p in sorted(path.glob("*.ogg"))]
        n = min(p.frames for p in parts)
        mix = sum(p.samples[:, :n] for p in parts)
        return Audio(np.clip(mix, -1, 1).astype(np.float32), parts[0].sample_rate)
    return load_audio(path)


def _real(rows: list[Path]) -> Iterator[dict]:
    from inpaint_studio.engine.fill import fill_region

    versions = passed = 0
    per_gate: dict[str, int] = {}  # each gate the verdict reports, by name
    for path in rows:
        if not path.exists():
            continue
        song = _real_song(path)
        if song.duration < 40:
            continue
        for frac in (0.3, 0.6):
            start = round(song.duration * frac, 2)
            try:
                result = fill_region(song, start, start + 8.0, seed=0)
            except Exception as err:  # noqa: BLE001 - a benchmark reports, never stops
                print(f"# {path.name}: {err}", file=sys.stderr)
                continue
            for v in result.versions:
                gates = v.meta["metrics"]["gates"]
                versions += 1
                passed += v.meta["metrics"]["passed"]
                for k, g in gates.items():
                    per_gate[k] = per_gate.get(k, 0) + (g is not False)
    if versions:
        yield figure("real recordings: versions passing all gates", passed / versions,
                     f"of {versions}", ">= 0.5", passed / versions >= 0.5)
        for k, n in per_gate.items():
            yield figure(f"real recordings: {k} gate", n / versions, f"of {versions}", "info",
                         None)


def run() -> Iterator[dict]:
    song = synth_song(seconds=240.0, bpm=120.0, seed=11)
    with tempfile.TemporaryDirectory() as tmp:
        npy = Path(tmp) / "song.npy"
        np.save(npy, song.samples)
        for length, start in ((8.0, 97.3), (30.0, 131.1), (60.0, 100.0)):
            r = _child(npy, start, start + length)
            tag = f"{length:.0f}-s region of a 4-min song"
            goal_s = {8.0: 4.0, 30.0: 8.0, 60.0: 10.0}[length]
            yield figure(f"{tag}: wall", r["wall"], "s", f"<= {goal_s}", r["wall"] <= goal_s)
            yield figure(f"{tag}: CPU time (all threads)", r["cpu"], "s", "info", None)
            yield figure(f"{tag}: wall / analysis floor", r["wall"] / r["floor"], "x", "info",
                         None)
            yield figure(f"{tag}: peak RSS", r["peak_mb"], "MB", "<= 600", r["peak_mb"] <= 600)
            yield from _metric_figures(tag, r["metrics"])
    yield from _real(REAL)
