"""Recalibrate the engine's verdict on the TUNING half: which gates count and at which quantile
of the song's own statistics each held-out detector (engine/jumps.py) fails, chosen for the best
agreement with the independent checker (benchmarks/seam_judge.py).

Input: the JSON lines `benchmarks/run.py seams` writes with SEAMS_OUT (each take's engine
metrics, the checker's verdict and the song's detector limits at several quantiles).

    python benchmarks/seams/calibrate.py tuning.jsonl [checking.jsonl]

prints the best rule on the first file and, for the second, its agreement there (a file of the
checking half is only ever evaluated, never fitted).

    python benchmarks/seams/calibrate.py --committed tuning.jsonl checking.jsonl

applies the rule the engine now has to each file's recorded takes."""

from __future__ import annotations

import itertools
import json
import sys

KINDS = ("timbre", "harmony", "onsets", "level")
OLD = ("seam", "loudness")
PHASE_MS = (None, 40.0, 60.0, 80.0, 120.0)  # the beat-phase gate: off, or its limit


def load(path: str) -> list[dict]:
    recs = [json.loads(ln) for ln in open(path) if ln.strip()]
    # takes measured before the ending gate existed cannot be re-judged on their ending
    return [r for r in recs if "judge_passed" in r and "held_out" in r["engine"]
            and ("ending_db" in r["engine"] or "ending_db" not in r["judge"])]


def verdict(rec: dict, qi: dict[str, int], old: tuple[str, ...],
            phase_ms: float | None = None) -> bool:
    m = rec["engine"]
    if any(m["gates"].get(k) is False for k in old):
        return False
    if phase_ms is not None:
        for p, p0 in zip(m["beat_phase_ms"], m["beat_phase_original_ms"], strict=True):
            if p0 is not None and p0 <= phase_ms and (p is None or p > phase_ms):
                return False
    lim = rec["limits"]
    for seam in m["held_out"]:
        for k in KINDS:
            v, o = seam[k]
            limit = lim[k][qi[k]]
            if (abs(v - o) > limit) if k == "level" else (v > max(limit, o)):
                return False
    ending = m.get("ending_db")
    if ending is not None and abs(ending[0] - ending[1]) > lim["level"][qi["level"]]:
        return False
    return True


def agreement(recs: list[dict], qi: dict[str, int], old: tuple[str, ...],
              phase_ms: float | None = None) -> float:
    return sum(verdict(r, qi, old, phase_ms) == r["judge_passed"] for r in recs) / max(
        len(recs), 1)


def committed(paths: list[str]) -> None:
    """The committed rule (engine/metrics.py, engine/jumps.py) on each file's takes."""
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    from inpaint_studio.engine.jumps import QUANTILE
    from inpaint_studio.engine.metrics import BEAT_SLIP_MS, COUNTED

    old = tuple(k for k in OLD if k in COUNTED)
    for path in paths:
        recs = load(path)
        qi = {k: recs[0]["limits"]["q"].index(QUANTILE[k]) for k in KINDS}
        agree = agreement(recs, qi, old, BEAT_SLIP_MS)
        ok = sum(verdict(r, qi, old, BEAT_SLIP_MS) for r in recs)
        print(json.dumps({"file": path, "takes": len(recs),
                          "checker_passes": sum(r["judge_passed"] for r in recs),
                          "verdict_passes": ok, "agreement": round(agree, 3)}))


def main(argv: list[str]) -> int:
    if argv[0] == "--committed":
        committed(argv[1:])
        return 0
    tune = load(argv[0])
    qs = tune[0]["limits"]["q"]
    best = None
    for olds in itertools.product((False, True), repeat=len(OLD)):
        old = tuple(k for k, on in zip(OLD, olds, strict=True) if on)
        for combo, ph in itertools.product(
                itertools.product(range(len(qs)), repeat=len(KINDS)), PHASE_MS):
            qi = dict(zip(KINDS, combo, strict=True))
            a = agreement(tune, qi, old, ph)
            # ties: keep more gates, then quantiles nearest the a-priori 0.98
            key = (a, len(old) + (ph is not None), -sum(abs(qs[i] - 0.98) for i in combo))
            if best is None or key > best[0]:
                best = (key, qi, old, ph)
    (a, _, _), qi, old, ph = best
    rule = {"counted_old_gates": old, "beat_phase_ms": ph,
            "quantile": {k: qs[i] for k, i in qi.items()}}
    judge_ok = sum(r["judge_passed"] for r in tune)
    print(json.dumps({"tuning_takes": len(tune), "tuning_checker_passes": judge_ok,
                      "tuning_agreement": round(a, 3), "rule": rule}))
    if len(argv) > 1:
        check = load(argv[1])
        print(json.dumps({"checking_takes": len(check),
                          "checking_agreement": round(agreement(check, qi, old, ph), 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
