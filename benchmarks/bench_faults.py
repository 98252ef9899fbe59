"""`benchmarks/run.py faults`: the fault campaign of `faults.py` (kills, `serve --fault-*`
modes, a key-echoing server, redirect, oversize and Host attacks), N kill tries per command from
$FAULTS_N (default 20), seed from $FAULTS_SEED (default 13). Each figure is a count over every
group; the goal of the harmful ones is 0."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import faults
from common import figure

ZERO = ("lost", "duplicate_submits", "partial_files", "key_leaks", "offsite_connects",
        "x_host_attacks_not_421")


def run() -> Iterator[dict[str, Any]]:
    groups = faults.campaign(int(os.environ.get("FAULTS_N", "20")),
                             int(os.environ.get("FAULTS_SEED", "13")))
    total: Counter[str] = Counter()
    for g in groups:
        total.update({k: v for k, v in g.row().items() if isinstance(v, int)})
    for name, value in sorted(total.items()):
        yield figure(f"faults {name}", value, "count", "== 0" if name in ZERO else "",
                     value == 0 if name in ZERO else None)
