"""The player's entry point on a song rendered from known harmony: the map is analysed for
real, two versions come back in the engine's result shape with the plan, a MIDI file each,
the part in the song's key and under it by the plan's level."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.bs1770 import integrated_loudness
from inpaint_studio.player import render as R
from inpaint_studio.player.compose import compose, scale_pcs
from inpaint_studio.player.fill import PlayerError, fill_region
from inpaint_studio.player.midi import read_midi
from inpaint_studio.player.plan import parse
from tests.player.harmony import song

RATE = 44100


@pytest.fixture(scope="module")
def backing():
    h = song(bars=20)
    notes = compose(parse("pop piano bass and drums"), h, 0.0, 48.0, seed=9)
    x = R.synthesize(notes, RATE, 0.0, 48.0)
    x *= 10 ** ((-14.0 - integrated_loudness(x, RATE)) / 20)
    x *= min(1.0, 0.99 / np.max(np.abs(x)))
    return Audio(x.astype(np.float32), RATE)


def test_add_a_soft_guitar_solo_gives_two_versions_with_midi(backing, tmp_path):
    seen = []
    result = fill_region(backing, 12.0, 24.0, seed=0, num_versions=2,
                         prompt="Add a soft guitar solo here", progress=seen.append,
                         midi_dir=tmp_path)
    assert [v.meta["index"] for v in result.versions] == [1, 2]
    assert seen[0] == 0.0 and seen[-1] == pytest.approx(1.0)
    a, b = (v.audio.samples for v in result.versions)
    assert a.shape == backing.samples.shape and not np.array_equal(a, b)
    for v in result.versions:
        meta = json.loads(json.dumps(v.meta))
        assert meta["plan"]["action"] == "add"
        assert meta["plan"]["parts"][0]["program"] == 24
        assert meta["description"] == ("Will add: soft nylon guitar solo over the region, "
                                       "song kept underneath")
        # the map found the song's key or its relative major (Am F C G: the same scale)
        assert meta["key"] in ("A minor", "C major")
        assert meta["in_key"] >= 0.9 and meta["chord_tones_on_strong_beats"] >= 0.7
        assert -15 <= meta["level_db_under_song"] <= -6
        assert meta["peak"] <= 1.0
        notes = read_midi(meta["midi_path"])
        assert len(notes) == meta["notes_played"]
        assert all(12.0 - 1e-3 <= n.time < 24.0 for n in notes)
        scale = scale_pcs("A minor")
        assert sum(n.pitch % 12 in scale for n in notes) / len(notes) >= 0.9


def test_continue_plans_are_not_the_players():
    with pytest.raises(PlayerError, match="continuation"):
        fill_region(Audio(np.zeros((2, RATE * 20), np.float32), RATE), 2.0, 10.0, prompt="")
