"""Region rules: snapping, errors and configurable warnings."""

from __future__ import annotations

import pytest

from inpaint_studio.core.region import (
    Region,
    RegionError,
    RegionLimits,
    make_region,
    region_warnings,
    snap,
)


def test_snaps_to_samples():
    r = make_region(1.00001, 2.5000049, 100.0, 44100)
    assert r.start * 44100 == round(r.start * 44100)
    assert r.end * 44100 == round(r.end * 44100)
    assert r.frames(44100) == (44100, 110250)
    assert snap(0.3, 10) == pytest.approx(0.3)


@pytest.mark.parametrize(
    "start,end,words",
    [(5, 5, "empty"), (5, 5.000001, "empty"), (6, 5, "ends before"), (-1, 5, "beginning"),
     (5, 101, "past the end"), (101, 102, "past the end"),
     (float("nan"), 5, "must be times"), (1, float("inf"), "must be times")],
)  # fmt: skip
def test_errors(start, end, words):
    with pytest.raises(RegionError, match=words):
        make_region(start, end, 100.0, 44100)


def test_whole_song_is_allowed():
    assert make_region(0, 100.0, 100.0, 44100) == Region(0.0, 100.0)


def test_warnings_default_thresholds():
    assert region_warnings(Region(10, 20), 180) == []
    short = region_warnings(Region(10, 11), 180)
    assert len(short) == 1 and "shorter than 3 s" in short[0]
    long = region_warnings(Region(10, 80), 180)
    assert len(long) == 1 and "longer than 60 s" in long[0]
    half = region_warnings(Region(0, 40), 60)
    assert len(half) == 1 and "50%" in half[0]


def test_warnings_configurable():
    limits = RegionLimits(warn_shorter_than=1, warn_longer_than=5, warn_fraction_of_song=0.9)
    assert region_warnings(Region(0, 2), 100, limits) == []
    assert len(region_warnings(Region(0, 6), 100, limits)) == 1
    assert len(region_warnings(Region(0, 95), 100, limits)) == 2
