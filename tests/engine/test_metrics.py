"""The metrics pass the untouched song and FAIL what is bad: silence, a plain crossfade of the
neighbouring audio, and the best source shifted a third of a beat off the grid."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.engine.analysis import analyse
from inpaint_studio.engine.beats import beat_grid
from inpaint_studio.engine.metrics import measure
from inpaint_studio.engine.plan import Piece, Plan
from inpaint_studio.engine.render import render


@pytest.fixture(scope="module")
def reference(steady_song):
    an = analyse(steady_song)
    return an, beat_grid(an)


def _silence(song: Audio, seams: list[float]) -> Audio:
    out = song.samples.copy()
    sr = song.sample_rate
    out[:, int(seams[0] * sr) : int(seams[-1] * sr)] = 0.0
    return Audio(out, sr)


def _neighbour_crossfade(song: Audio, seams: list[float]) -> Audio:
    """The region becomes the audio before it fading into the audio after it."""
    sr = song.sample_rate
    a, b = int(seams[0] * sr), int(seams[-1] * sr)
    n = b - a
    before = song.samples[:, a - n : a]
    after = song.samples[:, b : b + n]
    w = np.linspace(0.0, 1.0, n, dtype=np.float32)
    out = song.samples.copy()
    out[:, a:b] = before * (1 - w) + after * w
    return Audio(out, sr)


def _off_grid(song: Audio, version_meta: dict, ibi: float) -> Audio:
    """Version 1's own source passage, read a third of a beat late."""
    seams = version_meta["seams"]
    src = version_meta["sources"][0]
    s0 = src["source_start"] + ibi / 3.0
    rate = (src["source_end"] - src["source_start"]) / (seams[-1] - seams[0])
    plan = Plan([Piece(seams[0], seams[-1], s0, rate, 0)], [seams[0], seams[-1]])
    return render(song, plan)[0]


def test_the_untouched_song_passes_and_matches_its_own_values(steady_song, reference, regions):
    an, grid = reference
    start, end = regions[2]
    m = measure(steady_song, steady_song, [start, end], analysis=an, grid=grid)
    assert m["passed"]
    assert m["seam_z"] == m["seam_z_original"]
    assert m["loudness_delta_lu"] == m["loudness_delta_original_lu"]
    assert m["loudness_step_excess_lu"] == [0.0, 0.0]


def test_metrics_fail_silence_crossfade_and_off_grid(steady_song, steady_results, reference):
    an, grid = reference
    failures = {"silence": 0, "crossfade": 0, "off_grid": 0}
    for r in steady_results:
        meta = r.versions[0].meta
        seams = meta["seams"]
        if len(meta["sources"]) != 1:
            continue
        bad = {
            "silence": _silence(steady_song, seams),
            "crossfade": _neighbour_crossfade(steady_song, seams),
            "off_grid": _off_grid(steady_song, meta, grid.period),
        }
        for name, song in bad.items():
            m = measure(steady_song, song, [seams[0], seams[-1]], analysis=an, grid=grid)
            failures[name] += not m["passed"]
            if name == "silence":
                assert m["gates"]["loudness"] is False
    counted = sum(len(r.versions[0].meta["sources"]) == 1 for r in steady_results)
    assert counted >= 3
    assert failures == {k: counted for k in failures}, failures
