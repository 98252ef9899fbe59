"""Synthesised songs and engine results shared by the engine tests (built once per session)."""

from __future__ import annotations

import pytest

from inpaint_studio.core.synth import synth_song
from inpaint_studio.engine.fill import fill_region

# five regions of 6–10 s spread over the song, starting at odd places in the bar
REGIONS = [(21.3, 29.8), (47.9, 54.4), (66.2, 75.1), (88.7, 95.6), (103.4, 111.0)]


@pytest.fixture(scope="session")
def regions():
    return REGIONS


@pytest.fixture(scope="session")
def steady_song():
    return synth_song(seconds=130.0, bpm=120.0, seed=1)


@pytest.fixture(scope="session")
def drift_song():
    return synth_song(seconds=130.0, bpm=112.0, seed=2, drift=0.03)


@pytest.fixture(scope="session")
def steady_results(steady_song):
    return [fill_region(steady_song, s, e, seed=0) for s, e in REGIONS]


@pytest.fixture(scope="session")
def drift_results(drift_song):
    return [fill_region(drift_song, s, e, seed=0) for s, e in REGIONS]
