"""Bars and beats for people: snapping and "33.1" / "4 bars" on a map with a known grid."""

from __future__ import annotations

import pytest

from inpaint_studio.musicmap import MusicMap
from inpaint_studio.musicmap.grid import (
    NoGrid,
    bar_time,
    format_position,
    parse_length,
    parse_position,
    snap,
)


def grid_map(beats, per_bar=4, pickup=1) -> MusicMap:
    """A map whose beats are `beats`, with one pickup beat before bar 1 by default."""
    positions = [per_bar - pickup + 1 + i if i < pickup else (i - pickup) % per_bar + 1
                 for i in range(len(beats))]
    downbeats = [b for b, p in zip(beats, positions, strict=True) if p == 1]
    return MusicMap(duration=beats[-1] + 1, steady_beat=True, beat_confidence=1.0,
                    tempo_bpm=120.0, tempo_curve=[], beats=list(beats),
                    bar_positions=positions, downbeats=downbeats, beats_per_bar=per_bar,
                    time_signature=f"{per_bar}/4", key="C major", key_confidence=1.0,
                    chords=[], beat_chords=[], chord_confidence=[], sections=[],
                    loudness_hop=0.1, loudness=[])


BEATS = [0.5 + 0.5 * i for i in range(41)]  # pickup at 0.5, bar 1 at 1.0, bar n at 2n - 1


def test_positions_both_ways():
    m = grid_map(BEATS)
    assert parse_position(m, "1.1") == 1.0
    assert parse_position(m, " 3.2 ") == 5.5
    assert format_position(m, 5.5) == "3.2"
    assert format_position(m, 5.7) == "3.2"  # the beat at or before
    assert format_position(m, 0.7) is None  # the pickup is before bar 1
    for bar in range(1, 10):
        for beat in range(1, 5):
            t = bar_time(m, bar, beat)
            assert format_position(m, t) == f"{bar}.{beat}"


def test_bad_positions_are_refused():
    m = grid_map(BEATS)
    with pytest.raises(NoGrid):
        parse_position(m, "99.1")
    with pytest.raises(NoGrid):
        parse_position(m, "2.5")  # a 4/4 bar has no fifth beat
    with pytest.raises(ValueError):
        parse_position(m, "1:30")


def test_lengths_follow_the_beats_even_when_they_drift():
    drifting = [0.5]
    for i in range(40):
        drifting.append(drifting[-1] + 0.5 + 0.01 * i)
    m = grid_map(drifting)
    start = parse_position(m, "2.1")
    assert parse_length(m, "1 bar", start) == pytest.approx(sum(drifting[i + 1] - drifting[i]
                                                                 for i in range(5, 9)))
    assert parse_length(m, "2 beats", start + 0.1) == pytest.approx(drifting[7] - drifting[5])
    assert parse_length(m, "0.5 beats", start) == pytest.approx(
        0.5 * (drifting[6] - drifting[5]))
    with pytest.raises(NoGrid):
        parse_length(m, "40 bars", start)


def test_snap_to_beats_and_bars():
    m = grid_map(BEATS, per_bar=3, pickup=0)
    assert snap(m, 1.24, "beat") == 1.0
    assert snap(m, 1.26, "beat") == 1.5
    assert snap(m, 1.6, "bar") == 2.0  # bars every 1.5 s from 0.5
    assert snap(m, 100.0, "bar") == m.downbeats[-1]


def test_without_a_grid_nothing_snaps_and_bars_are_refused():
    m = grid_map(BEATS)
    m.beats, m.downbeats, m.bar_positions, m.steady_beat = [], [], [], False
    assert snap(m, 3.3) == 3.3 and snap(m, 3.3, "bar") == 3.3
    with pytest.raises(NoGrid):
        parse_position(m, "1.1")
    with pytest.raises(NoGrid):
        parse_length(m, "2 bars", 0.0)
    assert format_position(m, 3.0) is None
