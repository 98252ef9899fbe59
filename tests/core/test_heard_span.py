"""Keeping a take where it really departs from the song: `heard_span` widens the region to the
take's own seams when they lie just outside it (as the local engine places them)."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.heard_span import MAX_EXTEND_S, heard_span
from inpaint_studio.core.synth import synth_song

RATE = 44100


@pytest.fixture(scope="module")
def song() -> Audio:
    return synth_song(40.0, bpm=120.0, seed=4, sample_rate=RATE)


def take_of(song: Audio, a: float, b: float) -> Audio:
    """`song` with other music (the same song 10 s later) in [a, b)."""
    out = song.samples.copy()
    i, j = int(a * RATE), int(b * RATE)
    out[:, i:j] = song.samples[:, i + 10 * RATE : j + 10 * RATE]
    return Audio(out, RATE)


def test_a_take_that_starts_before_the_region_is_kept_from_where_it_starts(song):
    take = take_of(song, 11.5, 18.2)  # made for 12–18: seams 0.5 s out, 0.2 s out
    start, end = heard_span(song, take, 12.0, 18.0)
    assert 11.5 - 0.15 < start < 11.5  # before the change, by the margin and a frame or two
    assert 18.2 < end < 18.2 + 0.15
    assert heard_span(song, take, 12.0, 18.0, left=False) == (12.0, pytest.approx(end))
    assert heard_span(song, take, 12.0, 18.0, right=False) == (pytest.approx(start), 18.0)


def test_a_take_inside_its_region_or_different_far_out_keeps_the_region(song):
    inward = take_of(song, 12.4, 17.6)  # seams moved inward: the region's edges are fine
    assert heard_span(song, inward, 12.0, 18.0) == (12.0, 18.0)
    far = take_of(song, 12.0 - MAX_EXTEND_S - 1.0, 18.0)  # departs too far out to follow
    assert heard_span(song, far, 12.0, 18.0)[0] == 12.0
    everywhere = Audio(np.roll(song.samples, RATE // 3, axis=1), RATE)  # differs everywhere
    assert heard_span(song, everywhere, 12.0, 18.0) == (12.0, 18.0)
    assert heard_span(song, song, 12.0, 18.0) == (12.0, 18.0)  # the song itself: nothing
