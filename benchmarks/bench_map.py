"""The musical map on real compositions with exact answers: Debian's `openttd-openmsx` MIDI
files rendered to audio by FluidSynth (a separate program) with the `fluid-soundfont-gm`
SoundFont, ground truth from the MIDI (benchmarks/map/truth.py), scored with mir_eval: beat and
downbeat F-measure (±70 ms, first 5 s trimmed), tempo within 4 %, key (MIREX weighted, on the
pieces whose MIDI has a key signature; `key_vs_notes`, info only, against the signature's tonic
in the mode its notes sound), chords (majmin, duration-weighted), section boundaries
(±3 s, against a MIDI orchestration proxy), the share of pieces whose beats per bar are right
(where the MIDI says 2/4, 3/4 or 4/4) and analysis time per minute of audio, and each piece's
failure modes (benchmarks/map/diagnose.py: tempo level, beat and bar phase, key relation),
counted per half on stderr. The tuning
half and the held-out half (benchmarks/map/pieces.py) are reported separately; librosa's beat
tracker and chroma templates are the reference line in the same run.

Needs: apt `fluidsynth fluid-soundfont-gm openttd-openmsx`; pip `.[bench]` (pretty_midi,
mir_eval, librosa). Renders are cached in $INPAINT_STUDIO_BENCH_CACHE/map. Environment:
MAP_SET=tune|heldout|all (default all), MAP_REFERENCE=0 skips librosa, MAP_DETAIL=path writes
per-piece rows as JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from common import figure

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from map import score  # noqa: E402
from map.diagnose import diagnose  # noqa: E402
from map.pieces import HELDOUT, MIDI_DIR, TUNE  # noqa: E402

from inpaint_studio.core.decode import load_audio  # noqa: E402
from inpaint_studio.musicmap import analyze  # noqa: E402

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
CACHE = Path(os.environ.get("INPAINT_STUDIO_BENCH_CACHE", "/tmp/inpaint-studio-bench")) / "map"
GOALS = {"beat_f": 0.85, "downbeat_f": 0.70, "tempo_4pct": 0.90, "key_weighted": 0.85,
         "chords_majmin": 0.70, "sections_f": 0.65}
SPEED_GOAL = 0.5  # s of analysis per minute of audio


def render(stem: str) -> Path:
    """The piece rendered to 44.1 kHz stereo WAV (cached)."""
    out = CACHE / f"{stem}.wav"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    part = out.with_suffix(".wav.part")
    subprocess.run(["fluidsynth", "-ni", "-q", "-r", "44100", "-g", "0.6", "-F", str(part),
                    str(SOUNDFONT), f"{MIDI_DIR}/{stem}.mid"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.replace(part, out)
    return out


def _missing() -> list[str]:
    miss = []
    if not shutil.which("fluidsynth"):
        miss.append("apt fluidsynth")
    if not SOUNDFONT.exists():
        miss.append("apt fluid-soundfont-gm")
    if not Path(MIDI_DIR).is_dir():
        miss.append("apt openttd-openmsx")
    for mod in ("pretty_midi", "mir_eval"):
        try:
            __import__(mod)
        except ImportError:
            miss.append(f"pip {mod} (the bench extra)")
    return miss


def _metre_ok(truth_sig: str, est_sig: str | None) -> float:
    """Beats per bar right, where the truth is 2/4, 3/4 or 4/4 (else not scored)."""
    if truth_sig not in ("2/4", "3/4", "4/4"):
        return float("nan")
    return float(est_sig == truth_sig)


def _tonic_ok(truth_key: str | None, est_key: str | None) -> float:
    """The key's tonic right whatever the mode, where the MIDI has a key: the mode is where the
    scored keys disagree (blues written under its major key's signature)."""
    if truth_key is None:
        return float("nan")
    return float(est_key is not None and est_key.split()[0] == truth_key.split()[0])


def _scores(tr, est: dict) -> dict:
    return {
        "metre": _metre_ok(tr.time_signature, est.get("time_signature")),
        "key_tonic": _tonic_ok(tr.key, est.get("key")),
        "beat_f": score.beat_f(tr.beats, est["beats"]),
        "downbeat_f": score.beat_f(tr.downbeats, est["downbeats"]),
        "tempo_4pct": score.tempo_ok(tr.tempo_bpm, est["tempo_bpm"]),
        "key_weighted": score.key_score(tr.key, est["key"]),
        "key_vs_notes": score.key_score(tr.notes_key, est["key"]),
        "chords_majmin": score.chord_majmin(tr.chords, est["chords"]),
        "sections_f": score.boundary_f(tr.sections, np.asarray(est["sections"]), tr.end),
    }


def evaluate(stems: list[str], reference: bool) -> list[dict]:
    from map.truth import truth

    rows = []
    for stem in stems:
        wav = render(stem)
        tr = truth(f"{MIDI_DIR}/{stem}.mid")
        audio = load_audio(wav)
        c0, t0 = time.process_time(), time.perf_counter()
        m = analyze(audio)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        est = {"beats": m.beats, "downbeats": m.downbeats, "tempo_bpm": m.tempo_bpm,
               "time_signature": m.time_signature,
               "key": m.key, "chords": m.chords, "sections": [s for s, _, _ in m.sections[1:]]}
        row = {"piece": stem, "minutes": audio.duration / 60, "cpu_s": cpu, "wall_s": wall,
               "truth": {"tempo": round(tr.tempo_bpm, 2), "sig": tr.time_signature,
                         "key": tr.key, "notes_key": tr.notes_key},
               "est": {"tempo": m.tempo_bpm, "sig": m.time_signature, "key": m.key},
               "ours": _scores(tr, est), "why": diagnose(tr, est)}
        if reference:
            from map.reference import analyse as ref_analyse

            c0 = time.process_time()
            ref = ref_analyse(audio.mono(), audio.sample_rate)
            row["librosa_cpu_s"] = time.process_time() - c0
            row["librosa"] = _scores(tr, ref)
            row["est"]["librosa_tempo"] = round(ref["tempo_bpm"], 2)
        rows.append(row)
        print(f"# {stem}: " + json.dumps({k: round(v, 3) for k, v in row["ours"].items()})
              + f" {row['truth']} {row['est']} {row['why']}", file=sys.stderr, flush=True)
    return rows


def failure_modes(rows: list[dict]) -> dict[str, dict[str, int]]:
    """How many pieces fall in each failure mode (benchmarks/map/diagnose.py), per aspect."""
    out: dict[str, Counter] = {}
    for r in rows:
        for aspect, mode in r["why"].items():
            out.setdefault(aspect, Counter())[mode] += 1
    return {a: dict(c.most_common()) for a, c in out.items()}


def _vals(rows: list[dict], who: str, k: str) -> list[float]:
    return [r[who][k] for r in rows if who in r and not np.isnan(r[who][k])]


def _mean(rows: list[dict], who: str, k: str) -> tuple[float, int]:
    vals = _vals(rows, who, k)
    return (float(np.mean(vals)) if vals else float("nan")), len(vals)


def interval(vals: list[float], draws: int = 2000, seed: int = 15) -> tuple[float, float]:
    """95 % bootstrap interval of the mean over pieces (resampling pieces): how far a half's
    figure could move with another draw of as many pieces, so a gap between the halves can be
    told from sampling noise."""
    if len(vals) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    v = np.asarray(vals, float)
    means = v[rng.integers(0, len(v), (draws, len(v)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def _figures(tag: str, rows: list[dict], reference: bool) -> Iterator[dict]:
    for k, goal in GOALS.items():
        v, n = _mean(rows, "ours", k)
        lo, hi = interval(_vals(rows, "ours", k))
        yield figure(f"map.{tag}.{k}", v, f"mean of {n} pieces, 95% {lo:.2f}-{hi:.2f}",
                     f">= {goal}", bool(v >= goal) if n else None)
        if reference:
            v, n = _mean(rows, "librosa", k)
            yield figure(f"map.{tag}.librosa.{k}", v, f"mean of {n} pieces", "reference", None)
    v, n = _mean(rows, "ours", "metre")
    yield figure(f"map.{tag}.metre", v, f"share of {n} pieces in 2/4, 3/4 or 4/4", "info", None)
    v, n = _mean(rows, "ours", "key_tonic")
    yield figure(f"map.{tag}.key_tonic", v, f"share of {n} pieces, mode aside", "info", None)
    v, n = _mean(rows, "ours", "key_vs_notes")
    lo, hi = interval(_vals(rows, "ours", "key_vs_notes"))
    yield figure(f"map.{tag}.key_vs_notes", v,
                 f"MIREX weighted against the signature's tonic in the mode its notes sound, "
                 f"{n} pieces, 95% {lo:.2f}-{hi:.2f}", "info", None)
    minutes = sum(r["minutes"] for r in rows)
    cpu = sum(r["cpu_s"] for r in rows) / minutes
    yield figure(f"map.{tag}.cpu_s_per_min", cpu, "s/min", f"<= {SPEED_GOAL}", cpu <= SPEED_GOAL)
    yield figure(f"map.{tag}.wall_s_per_min", sum(r["wall_s"] for r in rows) / minutes,
                 "s/min", "info", None)
    if reference:
        yield figure(f"map.{tag}.librosa.cpu_s_per_min",
                     sum(r["librosa_cpu_s"] for r in rows) / minutes, "s/min", "reference", None)


def run() -> Iterator[dict]:
    missing = _missing()
    if missing:
        print(f"# map: skipped, needs {', '.join(missing)}", file=sys.stderr)
        return
    which = os.environ.get("MAP_SET", "all")
    reference = os.environ.get("MAP_REFERENCE", "1") != "0"
    if reference:
        try:
            import librosa  # noqa: F401
        except ImportError:
            print("# map: librosa missing, no reference line", file=sys.stderr)
            reference = False
    detail: dict[str, list[dict]] = {}
    for tag, stems in (("tune", TUNE), ("heldout", HELDOUT)):
        if which not in ("all", tag):
            continue
        rows = evaluate(stems, reference)
        detail[tag] = rows
        print(f"# map.{tag} failure modes: {json.dumps(failure_modes(rows), ensure_ascii=False)}",
              file=sys.stderr, flush=True)
        yield from _figures(tag, rows, reference)
    out = os.environ.get("MAP_DETAIL")
    if out:
        Path(out).write_text(json.dumps(detail, indent=1, default=float), encoding="utf-8")
