"""The map benchmark's failure-mode labels (benchmarks/map/diagnose.py) on grids whose error is
known by construction: a wrong label would send tuning after the wrong cause."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from map.diagnose import bar_offset, beat_phase, key_relation, tempo_level  # noqa: E402
from map.truth import notes_mode  # noqa: E402

BEATS = np.arange(0.0, 60.0, 0.5)  # 120 BPM
DOWNBEATS = BEATS[::4]


@pytest.mark.parametrize(("est", "want"), [(121.0, "right"), (240.0, "double"), (60.5, "half"),
                                           (180.0, "3/2"), (80.0, "2/3"), (100.0, "other"),
                                           (None, "none")])
def test_tempo_level(est, want):
    assert tempo_level(120.0, est) == want


@pytest.mark.parametrize(("shift", "want"), [(0.0, "on"), (0.02, "on"), (0.25, "off-beat"),
                                             (-0.25, "off-beat"), (0.125, "late"),
                                             (-0.125, "early")])
def test_beat_phase(shift, want):
    assert beat_phase(BEATS, BEATS + shift) == want


@pytest.mark.parametrize(("k", "want"), [(0, "0"), (1, "+1"), (3, "-1"), (2, "+2")])
def test_bar_offset_counts_beats(k, want):
    assert bar_offset(BEATS, DOWNBEATS, BEATS[k::4]) == want


def test_bar_offset_without_downbeats():
    assert bar_offset(BEATS, DOWNBEATS, np.zeros(0)) == "none"


@pytest.mark.parametrize(("est", "want"), [("G major", "same"), ("D major", "fifth"),
                                           ("C major", "fifth"), ("E minor", "relative"),
                                           ("G minor", "parallel"), ("F# major", "other"),
                                           (None, "none")])
def test_key_relation_major(est, want):
    assert key_relation("G major", est) == want


def test_key_relation_minor_and_unscored():
    assert key_relation("A minor", "C major") == "relative"
    assert key_relation("A minor", "E minor") == "fifth"
    assert key_relation(None, "C major") == "unscored"


def _notes(pitches_and_lengths):
    return [(0.0, length, pitch, 100) for pitch, length in pitches_and_lengths]


def test_notes_mode_follows_the_third_that_sounds():
    # G blues under a G major signature: B-flat (70) sounds far longer than B (71)
    blues = _notes([(55, 4.0), (70, 3.0), (71, 0.2), (62, 2.0), (64, 1.0)])
    assert notes_mode("G major", blues) == "G minor"
    plain = _notes([(55, 4.0), (71, 3.0), (62, 2.0)])
    assert notes_mode("G major", plain) == "G major"
    assert notes_mode("C minor", _notes([(60, 2.0), (63, 1.0)])) == "C minor"
    assert notes_mode("C minor", _notes([(60, 2.0), (64, 1.0)])) == "C major"
    assert notes_mode(None, plain) is None
