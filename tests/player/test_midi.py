"""The part as a standard MIDI file: the notes come back the same, the song's beats land on the
file's beats and its first downbeat on a bar line."""

from __future__ import annotations

import mido
import pytest

from inpaint_studio.player.compose import compose
from inpaint_studio.player.midi import TPB, read_midi, tempo_map, write_midi
from inpaint_studio.player.plan import parse
from tests.player.harmony import song


def _drifting_song():
    """A song whose tempo drifts (98 → 106 bpm) and whose first downbeat is its third beat."""
    h = song(bpm=98.0, offset=1.23)
    t, beats = h.beats[0], []
    for i in range(len(h.beats)):
        beats.append(round(t, 6))
        t += 60.0 / (98.0 + 8.0 * i / len(h.beats))
    h.beats = beats
    h.bar_positions = [(i + 2) % 4 + 1 for i in range(len(beats))]
    return h


@pytest.mark.parametrize("prompt", ["make it jazzy", "Add a soft guitar solo here",
                                    "cinematic orchestral build-up"])
def test_notes_round_trip(tmp_path, prompt):
    h = _drifting_song()
    notes = compose(parse(prompt), h, 4.0, 30.0, seed=1)
    path = write_midi(tmp_path / "part.mid", notes, h)
    back = read_midi(path)
    assert len(back) == len(notes)
    key = lambda n: (n.channel, n.pitch, n.time)  # noqa: E731
    for a, b in zip(sorted(notes, key=key), sorted(back, key=key), strict=True):
        assert (a.pitch, a.velocity, a.channel, a.program, a.part) == \
            (b.pitch, b.velocity, b.channel, b.program, b.part)
        assert b.time == pytest.approx(a.time, abs=0.001)
        assert b.duration == pytest.approx(a.duration, abs=0.002)


def test_the_tempo_map_puts_the_songs_beats_and_bars_on_the_files(tmp_path):
    h = _drifting_song()
    path = write_midi(tmp_path / "part.mid", compose(parse("add drums"), h, 4.0, 20.0), h)
    mid = mido.MidiFile(str(path))
    sig = [m for m in mid.tracks[0] if m.type == "time_signature"]
    assert sig and (sig[0].numerator, sig[0].denominator) == (4, 4)
    assert [m.key for m in mid.tracks[0] if m.type == "key_signature"] == ["Am"]
    times, ticks = tempo_map(h)
    first_down = next(i for i, p in enumerate(h.bar_positions) if p == 1)
    assert ticks[1 + first_down] % (4 * TPB) == 0  # the first downbeat starts a bar
    # every beat of the song, read through the file's own tempo map, is where the song has it
    tempos, tick, pos = [], 0, 0
    for m in mid.tracks[0]:
        tick += m.time
        if m.type == "set_tempo":
            tempos.append((tick, m.tempo))
    assert len(tempos) > 10  # the drift is followed
    for beat_tick, beat_time in zip(ticks[1:], times[1:], strict=True):
        t, last_tick, last_tempo = 0.0, 0, tempos[0][1]
        for tk, tempo in tempos:
            if tk > beat_tick:
                break
            t += (tk - last_tick) * last_tempo / 1e6 / TPB
            last_tick, last_tempo = tk, tempo
        t += (beat_tick - last_tick) * last_tempo / 1e6 / TPB
        assert t == pytest.approx(beat_time, abs=0.001)
        pos += 1
    assert pos == len(h.beats)
