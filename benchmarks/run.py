"""Run the benchmarks: `python benchmarks/run.py [NAME ...]`.

Each benchmark is `benchmarks/bench_<name>.py` with `run() -> Iterable[Figure]`. Every figure is
printed as one JSON line: {"name", "value", "unit", "goal", "ok"}. Figures are ratios against a
floor measured in the same run wherever one exists. Not part of the pass/fail test suite."""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available())}",
              file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        t0 = time.perf_counter()
        for fig in module.run():
            print(json.dumps(fig), flush=True)
            failed += fig.get("ok") is False
        print(f"# {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
