"""Composition on synthesised harmony with a known key, chords, beats and metre: parts in key,
chord tones on the strong beats, onsets on the grid before humanising, bounded humanising,
deterministic per seed."""

from __future__ import annotations

import pytest

from inpaint_studio.player.compose import (
    DRUM_CHANNEL,
    MAX_JITTER_S,
    MAX_VEL_JITTER,
    chord_pcs,
    compose,
    slots,
)
from inpaint_studio.player.plan import parse
from inpaint_studio.player.score import chord_tones_on_strong_beats, in_key, max_grid_error
from tests.player.harmony import song

PROMPTS = [
    "Add a soft guitar solo here",
    "Replace this part with an opera-style vocal",
    "in classical slow vibe",
    "add busy piano arpeggios",
    "add a walking upright bass",
    "make it jazzy",
    "add a loud synth lead solo",
    "add a high flute melody",
    "lofi half-time",
    "cinematic orchestral build-up",
]
SONGS = {
    "A minor 4/4": song(),
    "C major 4/4 sevenths": song("C major", ("C:maj", "A:min", "D:min7", "G:7"), bpm=123.0),
    "Eb major 3/4": song("Eb major", ("Eb:maj", "Ab:maj", "Bb:maj", "C:min"), bpm=140.0,
                         beats_per_bar=3),
    "E minor slow": song("E minor", ("E:min", "C:maj", "G:maj", "D:maj"), bpm=72.0),
}


@pytest.mark.parametrize("name", sorted(SONGS))
@pytest.mark.parametrize("prompt", PROMPTS)
@pytest.mark.parametrize("seed", [1, 2])
def test_parts_are_in_key_on_chords_and_on_grid(name, prompt, seed):
    h = SONGS[name]
    notes = compose(parse(prompt), h, 3.1, 23.0, seed=seed, humanize=False)
    assert len([n for n in notes if n.channel != DRUM_CHANNEL]) >= 8
    assert in_key(notes, h) >= 0.90
    assert chord_tones_on_strong_beats(notes, h) >= 0.70
    assert max_grid_error(notes, h, grid=False) <= 0.020
    assert all(3.1 - 1e-6 <= n.time < 23.0 and n.time + n.duration <= 23.0 + 1e-6
               for n in notes)
    assert all(0 <= n.pitch <= 127 and 1 <= n.velocity <= 127 for n in notes)
    ends: dict[tuple[int, int], float] = {}
    for n in sorted(notes, key=lambda n: n.time):  # no note overlaps its own pitch
        assert n.time >= ends.get((n.channel, n.pitch), 0.0) - 1e-9
        ends[(n.channel, n.pitch)] = n.time + n.duration


def test_humanising_stays_within_limits_and_keeps_the_grid():
    h = SONGS["A minor 4/4"]
    plan = parse("make it jazzy")
    grid = compose(plan, h, 3.1, 23.0, seed=5, humanize=False)
    human = compose(plan, h, 3.1, 23.0, seed=5)
    assert len(grid) == len(human)
    key = lambda n: (n.grid_time, n.channel, n.pitch)  # noqa: E731
    moved = 0
    for g, n in zip(sorted(grid, key=key), sorted(human, key=key), strict=True):
        assert n.grid_time == pytest.approx(g.time)
        assert abs(n.time - n.grid_time) <= MAX_JITTER_S + 1e-9
        assert abs(n.velocity - g.velocity) <= MAX_VEL_JITTER
        moved += n.time != g.time
    assert moved > len(grid) // 2  # humanising does something
    assert max_grid_error(human, h, grid=True) <= 0.020  # the unhumanised onsets stay known
    assert max_grid_error(human, h, grid=False) > 0.001


def test_deterministic_for_a_seed_and_seeds_differ():
    h = SONGS["C major 4/4 sevenths"]
    plan = parse("Add a soft guitar solo here")
    a = compose(plan, h, 2.0, 20.0, seed=1)
    b = compose(plan, h, 2.0, 20.0, seed=1)
    c = compose(plan, h, 2.0, 20.0, seed=2)
    assert a == b
    assert [(n.pitch, n.grid_time) for n in a] != [(n.pitch, n.grid_time) for n in c]


def test_the_solo_phrases_with_rests_and_resolves_to_chord_tones():
    h = SONGS["A minor 4/4"]
    notes = compose(parse("add a guitar solo"), h, h.beats[0], h.beats[32], seed=3,
                    humanize=False)
    sl = slots(h, h.beats[0], h.beats[32])
    bar_len = sum(s.length for s in sl[:4])
    for phrase in range(4):  # eight bars: four two-bar phrases
        t0, t1 = sl[phrase * 8].time, sl[phrase * 8].time + 2 * bar_len
        inside = [n for n in notes if t0 <= n.time < t1 - 1e-6]
        assert inside, phrase
        last = max(inside, key=lambda n: n.time)
        i = max(j for j, s in enumerate(sl) if s.time <= last.time + 1e-6)
        assert last.pitch % 12 in chord_pcs(sl[i].chord, h.key)[1]
        # a rest: the phrase's last beat is not sounding at its end
        assert all(n.time + n.duration < t1 - 0.05 for n in inside)


def test_pads_move_smoothly_and_bass_plays_roots_on_downbeats():
    h = SONGS["C major 4/4 sevenths"]
    notes = compose(parse("add strings and a bass line"), h, h.beats[0], h.beats[32], seed=1,
                    humanize=False)
    pads = [n for n in notes if n.part == 0]
    chords: dict[float, list[int]] = {}
    for n in pads:
        chords.setdefault(n.time, []).append(n.pitch)
    voicings = [sorted(v) for _, v in sorted(chords.items())]
    for a, b in zip(voicings, voicings[1:], strict=False):
        assert sum(abs(x - y) for x, y in zip(a, b, strict=False)) <= 12  # voice leading
    bass = [n for n in notes if n.part == 1]
    for n in bass:
        i = h.beats.index(min(h.beats, key=lambda b: abs(b - n.time)))
        if h.bar_positions[i] == 1:
            assert n.pitch % 12 == chord_pcs(h.beat_chords[i], h.key)[0]
            assert n.pitch < 52


def test_drums_keep_the_metre():
    for name, snare_positions in (("A minor 4/4", {2, 4}), ("Eb major 3/4", {2, 3})):
        h = SONGS[name]
        notes = compose(parse("add drums"), h, h.beats[0], h.beats[24], seed=1,
                        humanize=False)
        assert all(n.channel == DRUM_CHANNEL for n in notes)
        for n in notes:
            if n.pitch == 38 and n.time in h.beats:
                i = h.beats.index(n.time)
                bar_of_region = i // h.beats_per_bar
                if bar_of_region % 4 != 3 and i < 24 - h.beats_per_bar:  # not in a fill
                    assert h.bar_positions[i] in snare_positions
        kicks = [n for n in notes if n.pitch == 36]
        assert kicks and all(h.bar_positions[h.beats.index(n.time)] in (1, 3) for n in kicks
                             if n.time in h.beats)
    fill = compose(parse("add a drum fill"), SONGS["A minor 4/4"], 0.37, 0.37 + 2.4 * 4,
                   seed=1)
    assert fill and min(n.time for n in fill) > 0.37 + 2.4 * 3  # only in the last bar


def test_a_map_heard_in_the_wrong_mode_is_played_in_the_chords_mode():
    """A map that names the right tonic in the wrong mode ("F major" over F minor, C minor and
    B-flat minor chords) gets its parts written in F minor, so no passing tone clashes with the
    chords; a map whose chords fit its key keeps it."""
    from types import SimpleNamespace

    from inpaint_studio.player.compose import Harmony

    h = song(key="F major", progression=("F:min", "C:min", "Bb:min", "F:min"))
    wrong = SimpleNamespace(key="F major", steady_beat=True, beats=h.beats,
                            beats_per_bar=4, bar_positions=h.bar_positions,
                            beat_chords=h.beat_chords, duration=h.beats[-1] + 1)
    fixed = Harmony.from_map(wrong)
    assert fixed.key == "F minor"
    notes = compose(parse("Add a soft guitar solo here"), fixed, 10.0, 26.0, seed=3)
    assert in_key(notes, fixed) >= 0.9
    right = SimpleNamespace(**dict(vars(wrong), key="A minor",
                                   beat_chords=song().beat_chords))
    assert Harmony.from_map(right).key == "A minor"


def test_out_of_key_chord_labels_are_played_as_the_nearest_chord_of_the_key():
    from inpaint_studio.player.compose import in_key_chord

    # in key (a minor key's V and V7 included): kept as labelled
    for label in ("C:min", "Eb:maj7", "Ab:maj", "G:maj", "G:7", "F:min", "N"):
        assert in_key_chord(label, "C minor") == label
    # misheard: the key's triad sharing the most tones, the same root first
    assert in_key_chord("B:min", "C minor") == "G:maj"  # B, D shared
    assert in_key_chord("D:min", "C minor") == "Bb:maj"  # D, F shared
    assert in_key_chord("F:7", "C minor") == "F:min"
    assert in_key_chord("E:maj", "C major") == "E:min"
    from inpaint_studio.player.compose import NAMES, scale_pcs

    for key in ("C major", "A minor", "F# minor", "Eb major"):
        tonic = NAMES.index(key.split()[0])
        allowed = scale_pcs(key) | ({(tonic + 11) % 12} if "minor" in key else set())
        for root in NAMES:
            for quality in ("maj", "min", "7", "min7", "dim"):
                played = in_key_chord(f"{root}:{quality}", key)
                assert set(chord_pcs(played, key)[1]) <= allowed, (root, quality, key, played)
