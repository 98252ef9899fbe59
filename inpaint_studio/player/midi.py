"""The part as a standard MIDI file (type 1, `mido`): the song's tempo map and bars, so a DAW
that opens it at the song's start puts every note where it sounds in the song.

Song time 0 is tick 0. Beat i of the song sits on tick (lead + i) × TPB, `lead` chosen so that
the first downbeat starts a bar and the lead-in's tempo is near the song's; every beat carries
the tempo that makes the next beat land at its time (merged where it does not change). Track 0
holds the tempo map, the time signature and the key; each part has a track of its own with its
name and program. `read_midi` reads such a file (or any) back into `Note`s in seconds."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from inpaint_studio.core.atomic import atomic_write_bytes
from inpaint_studio.player.compose import DRUM_CHANNEL, Harmony, Note, parse_key
from inpaint_studio.player.plan import GM_NAMES

TPB = 960  # ticks per beat
_MIDO_KEYS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MIDO_MINOR = ("Cm", "C#m", "Dm", "D#m", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm")


def tempo_map(h: Harmony) -> tuple[np.ndarray, np.ndarray]:
    """(song times, ticks) of the knots of the song-time → tick map (piecewise linear)."""
    beats = np.asarray(h.beats, dtype=np.float64)
    if len(beats) < 2:
        return np.array([0.0, 0.5]), np.array([0.0, float(TPB)])
    period = float(np.median(np.diff(beats)))
    bpb = max(1, int(h.beats_per_bar))
    first_down = next((i for i, p in enumerate(h.bar_positions) if p == 1), 0)
    if beats[0] <= 1e-6:  # the song's first beat is at 0: no lead-in
        return beats, np.arange(len(beats), dtype=np.float64) * TPB
    lead = max(1, int(round(beats[0] / period)))
    while (lead + first_down) % bpb:
        lead += 1
    times = [0.0, *beats.tolist()]
    ticks = [0.0, *[float((lead + i) * TPB) for i in range(len(beats))]]
    return np.asarray(times), np.asarray(ticks)


def seconds_to_ticks(t: np.ndarray | float, knots: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    times, ticks = knots
    t = np.asarray(t, dtype=np.float64)
    last = (times[-1] - times[-2]) / (ticks[-1] - ticks[-2])  # seconds per tick at the end
    inside = np.interp(t, times, ticks)
    return np.where(t > times[-1], ticks[-1] + (t - times[-1]) / last, inside)


def _key_signature(key: str) -> str:
    pc, minor = parse_key(key)
    return _MIDO_MINOR[pc] if minor else _MIDO_KEYS[pc]


def midi_bytes(notes: list[Note], h: Harmony, names: dict[int, str] | None = None) -> bytes:
    """The notes as a type-1 standard MIDI file. `names` maps a note's part index to a track
    name (default: its GM program's name)."""
    import mido

    knots = tempo_map(h)
    times, ticks = knots
    mid = mido.MidiFile(type=1, ticks_per_beat=TPB)
    meta = mido.MidiTrack()
    mid.tracks.append(meta)
    bpb = max(1, int(h.beats_per_bar))
    events: list[tuple[int, int, mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("time_signature", numerator=bpb, denominator=4)),
        (0, 0, mido.MetaMessage("key_signature", key=_key_signature(h.key))),
    ]
    last_tempo = None
    for i in range(len(times) - 1):
        tempo = int(round((times[i + 1] - times[i]) * 1e6 * TPB / (ticks[i + 1] - ticks[i])))
        tempo = max(1, min(tempo, 0xFFFFFF))
        if tempo != last_tempo:
            events.append((int(ticks[i]), 1, mido.MetaMessage("set_tempo", tempo=tempo)))
            last_tempo = tempo
    meta.append(mido.MetaMessage("track_name", name="Tempo map", time=0))
    _append(meta, events)

    parts = sorted({n.part for n in notes})
    for part in parts:
        own = [n for n in notes if n.part == part]
        ch, program = own[0].channel, own[0].program
        track = mido.MidiTrack()
        mid.tracks.append(track)
        name = (names or {}).get(part) or ("Drums" if ch == DRUM_CHANNEL else GM_NAMES[program])
        track.append(mido.MetaMessage("track_name", name=name, time=0))
        if ch != DRUM_CHANNEL:
            track.append(mido.Message("program_change", channel=ch, program=program, time=0))
        on = seconds_to_ticks([n.time for n in own], knots)
        off = seconds_to_ticks([n.time + n.duration for n in own], knots)
        ev = []
        for n, a, b in zip(own, on, off, strict=True):
            a, b = int(round(a)), int(round(b))
            b = max(b, a + 1)
            # note-offs sort before note-ons at the same tick: a repeated pitch is not cut
            ev.append((a, 1, mido.Message("note_on", channel=ch, note=n.pitch,
                                          velocity=n.velocity)))
            ev.append((b, 0, mido.Message("note_off", channel=ch, note=n.pitch, velocity=0)))
        _append(track, ev)
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


def _append(track, events) -> None:
    import mido

    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))


def write_midi(path: str | os.PathLike[str], notes: list[Note], h: Harmony,
               names: dict[int, str] | None = None) -> Path:
    """Write the notes as a MIDI file at `path`, atomically."""
    atomic_write_bytes(path, midi_bytes(notes, h, names))
    return Path(path)


def read_midi(source: str | os.PathLike[str] | bytes) -> list[Note]:
    """The notes of a MIDI file, in seconds through its own tempo map (`part` = track index
    less one, as `midi_bytes` writes them). Sorted by onset, channel, pitch."""
    import mido

    if isinstance(source, bytes):
        mid = mido.MidiFile(file=io.BytesIO(source))
    else:
        mid = mido.MidiFile(str(source))
    tpb = mid.ticks_per_beat
    # the tempo map from every track (type 1 keeps it in track 0)
    changes = []
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                changes.append((tick, msg.tempo))
    changes.sort()
    if not changes or changes[0][0] > 0:
        changes.insert(0, (0, 500000))
    marks, secs = [], []
    t = 0.0
    for i, (tick, _tempo) in enumerate(changes):
        if i:
            prev_tick, prev_tempo = changes[i - 1]
            t += (tick - prev_tick) * prev_tempo / 1e6 / tpb
        marks.append(tick)
        secs.append(t)

    def to_s(tick: int) -> float:
        j = int(np.searchsorted(marks, tick, side="right") - 1)
        return secs[j] + (tick - marks[j]) * changes[j][1] / 1e6 / tpb

    notes: list[Note] = []
    for ti, track in enumerate(mid.tracks):
        tick = 0
        program = {c: 0 for c in range(16)}
        open_: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for msg in track:
            tick += msg.time
            if msg.type == "program_change":
                program[msg.channel] = msg.program
            elif msg.type == "note_on" and msg.velocity > 0:
                open_.setdefault((msg.channel, msg.note), []).append((tick, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                stack = open_.get((msg.channel, msg.note))
                if stack:
                    a, vel = stack.pop(0)
                    start = to_s(a)
                    notes.append(Note(start, msg.note, vel, to_s(tick) - start,
                                      program[msg.channel], msg.channel, start, max(0, ti - 1)))
    notes.sort(key=lambda n: (n.time, n.channel, n.pitch))
    return notes
