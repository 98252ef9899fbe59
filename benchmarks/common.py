"""Helpers shared by the benchmarks: figures, timing, peak RSS, synthesised test files."""

from __future__ import annotations

import contextlib
import resource
import time
from collections.abc import Callable
from typing import Any


def figure(name: str, value: float, unit: str, goal: str, ok: bool | None) -> dict[str, Any]:
    """One benchmark figure; `goal` says the target in words, e.g. "<= 1.2"."""
    return {"name": name, "value": round(float(value), 4), "unit": unit, "goal": goal, "ok": ok}


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of `repeat` calls, and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB: VmHWM, this process's own. (Not
    getrusage's ru_maxrss: Linux carries the parent's peak across fork+exec into it, so a child
    started by a big benchmark runner reported the runner's memory, e.g. 980 MB for a 460 MB
    engine run.)"""
    with contextlib.suppress(OSError), open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
