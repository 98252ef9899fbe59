"""How takes are chosen and seams placed: predicted-good plans are rendered first, failing takes
are ranked by how far they miss the gates (not by search cost), the per-phase reference table
agrees with the metric's exact reference, and a placed seam is never predicted worse than the
preferred instant."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.engine import fill as engine_fill
from inpaint_studio.engine import plan as engine_plan
from inpaint_studio.engine.analysis import analyse
from inpaint_studio.engine.beats import beat_grid
from inpaint_studio.engine.metrics import shortfall
from inpaint_studio.engine.novelty import PhaseTable, novelty_at, phase_reference, seam_limit
from inpaint_studio.engine.result import FillVersion
from inpaint_studio.engine.search import Candidate


def _metrics(z=(0.0, 0.0), phase=(10.0, 10.0), d=0.0, steps=(0.0, 0.0), gates=None):
    gates = gates or {"seam": True, "beat_phase": True, "loudness": True}
    return {"seam_z": list(z), "seam_z_original": [0.0] * len(z), "beat_phase_ms": list(phase),
            "beat_phase_original_ms": [10.0, 10.0], "loudness_delta_lu": d,
            "loudness_delta_original_lu": 0.0, "loudness_step_excess_lu": list(steps),
            "gates": gates, "passed": all(g is not False for g in gates.values())}  # fmt: skip


def test_shortfall_counts_failed_gates_then_their_excess():
    assert shortfall(_metrics()) == (0, 0.0)
    one = shortfall(_metrics(z=(4.5, 0.0), gates={"seam": False, "beat_phase": True,
                                                  "loudness": True}))  # fmt: skip
    assert one[0] == 1 and one[1] == pytest.approx(0.5)
    three = shortfall(_metrics(z=(3.1, 0.0), phase=(45.0, 10.0), d=1.6, gates={
        "seam": False, "beat_phase": False, "loudness": False}))  # fmt: skip
    assert three[0] == 3 and one < three


@pytest.fixture(scope="module")
def reference(steady_song):
    an = analyse(steady_song)
    return an, beat_grid(an)


def test_phase_table_matches_the_exact_reference_at_its_phases(reference):
    an, grid = reference
    table = PhaseTable(an, grid)
    k = len(grid.times) // 2
    ibi = grid.times[k + 1] - grid.times[k]
    for i in (1, 5, 17, 40):  # (on a beat itself, the metric reads the previous beat's end)
        t = grid.times[k] + ibi * i / table.bins
        med, sigma = phase_reference(an, grid, t)
        nov = novelty_at(an.logmel, 0.0, an.frame_seconds, t)
        assert float(table.z(np.asarray([t]), np.asarray([nov]))[0]) == pytest.approx(
            float((nov - med) / sigma), rel=1e-6, abs=1e-6)


def test_a_placed_seam_is_never_predicted_worse_than_the_preferred_instant(reference):
    an, grid = reference
    table = PhaseTable(an, grid)
    k = len(grid.times) // 2
    ibi = grid.times[k + 1] - grid.times[k]
    prefer = float(grid.times[k])
    ident = lambda t: np.asarray(t)  # noqa: E731
    for shift in (0.37, 5.0, 31.3):  # a copy from elsewhere, read off and on the grid
        other = lambda t, s=shift: np.asarray(t) + s  # noqa: E731
        t, cut = engine_plan.place_seam(an, prefer - ibi, prefer + ibi, ident, other, prefer,
                                        ibi, table)  # fmt: skip
        assert prefer - ibi - 1e-9 <= t <= prefer + ibi + 1e-9

        def margin(x: float, other=other) -> float:
            nov = engine_plan._novelty(an, np.asarray([x]), other(np.asarray([x])))
            z = table.z(np.asarray([x]), nov) - seam_limit(table.own_z(np.asarray([x])))
            return float(z[0])

        assert max(margin(t), -engine_plan.MARGIN_ENOUGH) <= max(
            margin(prefer), -engine_plan.MARGIN_ENOUGH) + 2 * engine_plan.PULL


def test_predicted_plans_go_first_and_failing_takes_rank_by_gate_shortfall(monkeypatch):
    """Costs favour the unpredicted plans; the predicted one that passes must still be tried
    (and kept), and of two failing takes the one missing one gate beats the one missing three."""
    fail_all = {"seam": False, "beat_phase": False, "loudness": False}
    fail_seam = {"seam": False, "beat_phase": True, "loudness": True}
    outcomes = {0: _metrics(z=(3.2, 0.0), phase=(50.0, 50.0), d=2.0, gates=fail_all),
                1: _metrics(z=(3.5, 0.0), gates=fail_seam), 2: _metrics()}  # fmt: skip
    rendered = []

    def fake_version(audio, an, grid, plan, seed, method, cost, jumps=None, levels=None):
        rendered.append(plan)
        m = outcomes[plan]
        return FillVersion(None, {"metrics": m, "confidence": "ok" if m["passed"] else "low"})

    monkeypatch.setattr(engine_fill, "_version", fake_version)
    monkeypatch.setattr(engine_fill, "_differs", lambda *a: True)

    class Grid:
        fallback = False

    planned = [(Candidate([(0, 0)], 1.0), 0, None, "beat", False),
               (Candidate([(0, 8)], 2.0), 1, None, "beat", False),
               (Candidate([(0, 16)], 9.0), 2, None, "beat", True)]  # fmt: skip
    kept, spare = engine_fill._takes(None, None, Grid(), planned, 2, 0, lambda i, f: None)
    assert rendered[0] == 2  # the predicted-good plan first, despite its cost
    assert [v.meta["metrics"] for v in kept] == [outcomes[2]]
    assert [v.meta["metrics"] for v in spare] == [outcomes[1]]  # fails one gate, not three
