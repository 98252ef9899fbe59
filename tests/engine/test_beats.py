"""The engine's beat grid comes from the music map's tracker and metre: beats and bar lines of
a composed song where the composer put them, and beatless music left to the frame grid."""

from __future__ import annotations

import numpy as np

from inpaint_studio.core.synth import compose, render
from inpaint_studio.engine.analysis import analyse
from inpaint_studio.engine.beats import beat_grid


def test_bar_lines_fall_on_the_composed_downbeats():
    plan = compose(60.0, bpm=120.0, seed=1)
    song = render(plan, 60.0, seed=1)
    grid = beat_grid(analyse(song))
    assert not grid.fallback and grid.per_bar == 4
    bars = plan.beat_times[::4]
    bars = bars[(bars > 2.0) & (bars < 58.0)]
    found = grid.downbeats
    # every composed bar line has a downbeat of the grid within 50 ms, and no extra ones
    near = np.abs(found[:, None] - bars[None, :]).min(axis=0)
    assert np.all(near < 0.05)
    inside = found[(found > 2.0) & (found < 58.0)]
    assert abs(len(inside) - len(bars)) <= 1
