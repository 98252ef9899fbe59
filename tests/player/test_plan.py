"""Prompt → plan: a table of prompts (the API's own examples among them) and what the player
must make of each."""

from __future__ import annotations

import json

import pytest

from inpaint_studio.player.plan import DYNAMICS_DB, Plan, parse

D = -2  # stands for the drum kit in the table

# prompt, action, [(program, role)], dynamics, bed, feel, extra checks
TABLE = [
    ("Add a soft guitar solo here", "add", [(24, "solo")], "soft", "kept", [], {}),
    ("Replace this part with an opera-style vocal", "replace", [(52, "melody"), (48, "pad")],
     "medium", "none", [], {"note": "sings vowels"}),
    ("in classical slow vibe", "restyle", [(48, "pad"), (0, "arpeggio")], "medium", "ducked",
     ["slow vibe"], {"density": "sparse"}),
    ("", "continue", [], "medium", "kept", [], {}),
    ("   ", "continue", [], "medium", "kept", [], {}),
    ("hello there", "continue", [], "medium", "kept", [], {"unknown": ["hello"]}),
    ("asdf qwerty", "continue", [], "medium", "kept", [], {"unknown": ["asdf", "qwerty"]}),
    ("make it better", "continue", [], "medium", "kept", [], {"unknown": ["better"]}),
    ("continue the song", "continue", [], "medium", "kept", [], {}),
    ("fill the gap", "continue", [], "medium", "kept", [], {}),
    ("something calm", "continue", [], "soft", "kept", [], {}),
    ("more energetic", "continue", [], "loud", "kept", [], {}),
    ("add drums", "add", [(D, "drums")], "medium", "kept", [], {}),
    ("add a drum fill", "add", [(D, "fill")], "medium", "kept", [], {}),
    ("a fill before the chorus", "add", [(D, "fill")], "medium", "kept", [], {}),
    ("add a bass line", "add", [(33, "bass")], "medium", "kept", [], {}),
    ("add a walking upright bass", "add", [(32, "bass")], "medium", "kept", [], {}),
    ("add strings", "add", [(48, "pad")], "medium", "kept", [], {}),
    ("add lush strings and piano arpeggios", "add", [(48, "pad"), (0, "arpeggio")], "medium",
     "kept", [], {"unknown": ["lush"]}),
    ("add a warm pad", "add", [(89, "pad")], "medium", "kept", [], {}),
    ("a synth lead solo", "add", [(81, "solo")], "medium", "kept", [], {}),
    ("add a loud synth lead", "add", [(81, "solo")], "loud", "kept", [], {}),
    ("add a flute melody", "add", [(73, "melody")], "medium", "kept", [], {}),
    ("gentle flute", "add", [(73, "melody")], "soft", "kept", [], {}),
    ("a soft choir", "add", [(52, "pad")], "soft", "kept", [], {"note": "sings vowels"}),
    ("add brass stabs", "add", [(61, "pad")], "medium", "kept", [], {}),
    ("add a trumpet solo", "add", [(56, "solo")], "medium", "kept", [], {}),
    ("add a loud sax solo without drums", "add", [(65, "solo")], "loud", "harmonic-only", [],
     {}),
    ("tenor sax solo", "add", [(66, "solo")], "medium", "kept", [], {}),
    ("add a nylon guitar melody", "add", [(24, "melody")], "medium", "kept", [], {}),
    ("add an acoustic guitar", "add", [(25, "arpeggio")], "medium", "kept", [], {}),
    ("fingerpicking acoustic guitar", "add", [(25, "arpeggio")], "medium", "kept", [], {}),
    ("add a rock guitar solo", "add", [(29, "solo")], "medium", "kept", [], {}),
    ("heavy metal guitar solo", "add", [(30, "solo")], "loud", "kept", [], {}),
    ("add a jazz guitar solo", "add", [(26, "solo")], "medium", "kept", [], {}),
    ("a loud guitar solo", "add", [(29, "solo")], "loud", "kept", [], {}),
    ("add a guitar solo", "add", [(27, "solo")], "medium", "kept", [], {}),
    ("add piano", "add", [(0, "pad")], "medium", "kept", [], {}),
    ("soft piano chords", "add", [(0, "pad")], "soft", "kept", [], {}),
    ("very soft piano", "add", [(0, "pad")], "very soft", "kept", [], {}),
    ("add rhodes", "add", [(4, "pad")], "medium", "kept", [], {}),
    ("add an organ", "add", [(16, "pad")], "medium", "kept", [], {}),
    ("add a harp arpeggio", "add", [(46, "arpeggio")], "medium", "kept", [], {}),
    ("add violin and cello", "add", [(40, "melody"), (42, "melody")], "medium", "kept", [], {}),
    ("add a sitar melody", "add", [(104, "melody")], "medium", "kept", [], {}),
    ("add an erhu melody", "add", [(40, "melody")], "medium", "kept", [],
     {"note": "'erhu' → nearest GM: Violin (40)"}),
    ("ukulele strumming", "add", [(24, "pad")], "medium", "kept", [],
     {"note": "'ukulele' → nearest GM: Acoustic Guitar (nylon) (24)"}),
    ("add a mandolin", "add", [(105, "arpeggio")], "medium", "kept", [],
     {"note": "nearest GM: Banjo (105)"}),
    ("add congas", "add", [(D, "drums")], "medium", "kept", [], {"note": "Standard Drum Kit"}),
    ("sing new lyrics about love", "add", [(53, "melody")], "medium", "kept", [],
     {"note": "New lyrics cannot be sung"}),
    ('a vocal singing "hold on"', "add", [(53, "melody")], "medium", "kept", [],
     {"note": "New lyrics cannot be sung"}),
    ("replace with strings", "replace", [(48, "pad")], "medium", "none", [], {}),
    ("replace this with a piano solo", "replace", [(0, "solo"), (48, "pad")], "medium",
     "none", [], {}),
    ("replace this part with drums only", "replace", [(D, "drums")], "medium", "none", [], {}),
    ("swap the section for a flute melody over the drums", "replace",
     [(73, "melody")], "medium", "percussive-only", [], {}),
    ("make it jazzy", "restyle", [(4, "pad"), (32, "bass"), (D, "drums")], "medium", "ducked",
     [], {}),
    ("lofi hip hop vibe", "restyle", [(4, "pad"), (33, "bass"), (D, "drums")], "medium",
     "ducked", [], {}),
    ("ambient", "restyle", [(89, "pad"), (46, "arpeggio")], "medium", "ducked", [], {}),
    ("cinematic orchestral build-up", "restyle", [(48, "pad"), (61, "melody"), (47, "bass")],
     "medium", "ducked", ["build-up"], {"density": "busy"}),
    ("half-time", "restyle", [(89, "pad"), (33, "bass")], "medium", "ducked", ["half-time"],
     {}),
    ("a breakdown", "restyle", [(89, "pad"), (33, "bass")], "medium", "ducked", ["breakdown"],
     {}),
    ("big drop with synth bass and drums", "add", [(38, "bass"), (D, "drums")], "loud", "kept",
     ["drop"], {}),
    ("half time drums", "add", [(D, "drums")], "medium", "kept", ["half-time"], {}),
    ("funky slap bass", "add", [(36, "bass")], "medium", "kept", [], {}),
    ("add a high sparkling glockenspiel melody", "add", [(9, "melody")], "medium", "kept", [],
     {"register": "high"}),
    ("deep cello line", "add", [(42, "melody")], "medium", "kept", [], {"register": "low"}),
    ("busy piano arpeggios", "add", [(0, "arpeggio")], "medium", "kept", [],
     {"density": "busy"}),
    ("sparse piano", "add", [(0, "pad")], "medium", "kept", [], {"density": "sparse"}),
    ("add a soft guitar solo in the background", "add", [(24, "solo")], "soft", "ducked", [],
     {}),
    ("a cello solo on its own", "add", [(42, "solo")], "medium", "none", [], {}),
    ("add a melody", "add", [(0, "melody")], "medium", "kept", [], {}),
    ("add a solo", "add", [(27, "solo")], "medium", "kept", [], {}),
    ("Add a soft guitar solo here, in classical slow vibe", "add", [(24, "solo")], "soft",
     "kept", ["slow vibe"], {}),
    ("add bagpipes please", "add", [(109, "melody")], "medium", "kept", [], {}),
    ("put a kazoo solo here", "add", [(27, "solo")], "medium", "kept", [],
     {"unknown": ["kazoo"]}),
]


def _programs(plan: Plan) -> list[tuple[int, str]]:
    return [(D if p.drums else p.program, p.role) for p in plan.parts]


def test_table_is_large_enough():
    assert len(TABLE) >= 60


@pytest.mark.parametrize("prompt,action,parts,dyn,bed,feel,extra", TABLE,
                         ids=[t[0] or "<empty>" for t in TABLE])
def test_prompt_gives_plan(prompt, action, parts, dyn, bed, feel, extra):
    plan = parse(prompt)
    assert plan.action == action
    assert _programs(plan) == parts
    assert plan.dynamics == dyn
    assert plan.bed == bed
    assert plan.feel == feel
    if "density" in extra:
        assert plan.density == extra["density"]
    if "register" in extra:
        assert plan.register == extra["register"]
    if "unknown" in extra:
        assert plan.unknown_words == extra["unknown"]
    if "note" in extra:
        assert any(extra["note"] in n for n in plan.notes), plan.notes
    if action == "continue":
        assert plan.parts == []
    # serialisable and back
    again = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan


def test_describe_sentences():
    assert parse("Add a soft guitar solo here").describe() == (
        "Will add: soft nylon guitar solo over the region, song kept underneath")
    assert parse("").describe().startswith("Will continue")
    d = parse("Replace this part with an opera-style vocal").describe()
    assert d.startswith("Will replace the region with:") and "opera" in d
    d = parse("in classical slow vibe").describe()
    assert d.startswith("Will restyle") and "classical" in d and "slow vibe" in d


def test_levels_follow_dynamics():
    soft, loud = parse("soft piano"), parse("loud piano")
    assert soft.level_db == DYNAMICS_DB["soft"] and -15 <= soft.level_db <= -6
    assert loud.level_db == DYNAMICS_DB["loud"] and loud.level_db >= -3
    assert "gm_name" in soft.to_dict()["parts"][0]


def test_where_in_the_song_is_context_not_a_word_left_over():
    """"into the chorus", "in the verse": where the region sits, not an unknown word; and a
    plural instrument names its part in the singular."""
    plan = parse("a drum fill into the chorus")
    assert plan.unknown_words == []
    assert plan.describe() == "Will add: drum fill over the region, song kept underneath"
    assert parse("strings in the verse").describe().startswith("Will add: string chords")


@pytest.mark.parametrize("prompt, instrument", [
    ("remove the vocals", "vocals"), ("without vocals", "vocals"), ("mute the bass", "bass"),
    ("get rid of the drums", "drums"), ("take out the guitar", "guitar"),
    ("less piano", "piano")])
def test_an_instrument_asked_to_go_is_never_added(prompt, instrument):
    """The player adds parts; it cannot take one out of the song. A prompt that asks for that
    must not play the instrument it names: it gets the continuation fill and says why."""
    plan = parse(prompt)
    assert plan.action == "continue" and plan.parts == []
    assert any(f"The {instrument} cannot be taken out" in n for n in plan.notes)


def test_replace_x_with_y_plays_only_y():
    plan = parse("replace the guitar with piano")
    assert plan.action == "replace"
    assert [p.program for p in plan.parts] == [0]
    assert any("cannot take out only the guitar" in n for n in plan.notes)
    # "remove the drums" names nothing to play: the song is left whole, and the plan says how
    plan = parse("remove the drums")
    assert plan.action == "continue"
    assert any("no drums, add a piano" in n for n in plan.notes)
    assert parse("no drums, add a piano").bed == "harmonic-only"
