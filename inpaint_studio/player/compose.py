"""Composition on the map: the plan's parts as notes on the song's key, chords per beat and beat
grid, by the rules a session player uses.

- solo / melody: phrases of two bars (call and answer on one motif rhythm), chord tones on the
  beats, scale (or pentatonic) tones between them moving by step, a rest at each phrase end
  after a resolution to a chord tone;
- pad: the chord of each span voiced in three or four notes, each voicing the one nearest the
  last (smooth voice leading), held until the chord changes or the bar ends;
- arpeggio: the current voicing broken into eighths (sixteenths when busy), up and down;
- bass: roots on the downbeats, fifths on the bar's middle beat, octaves or approach notes
  between when busy;
- drums (GM channel 10): a groove in the metre (kick, snare, hats) with a fill at the end of
  every fourth bar and of the region; "fill" plays only the fill at the region's end.

Everything sits on the grid first (`Note.grid_time` keeps the unhumanised onset); humanising
then moves onsets by at most `MAX_JITTER_S` and velocities by at most `MAX_VEL_JITTER`.
Deterministic for a seed: one generator per (seed, part)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace

import numpy as np

from inpaint_studio.player.plan import Part, Plan

NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_ALIASES = {"Db": 1, "D#": 3, "Gb": 6, "G#": 8, "A#": 10, "Cb": 11, "Fb": 4, "E#": 5, "B#": 0}
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
QUALITY = {"maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11),
           "min7": (0, 3, 7, 10), "dim": (0, 3, 6), "aug": (0, 4, 8), "sus4": (0, 5, 7),
           "sus2": (0, 2, 7)}
DRUM_CHANNEL = 9  # GM channel 10, 0-based
MAX_JITTER_S = 0.012
MAX_VEL_JITTER = 8
KICK, SNARE, HAT, OPEN_HAT, CRASH, RIDE = 36, 38, 42, 46, 49, 51
TOMS = (50, 48, 47, 45, 43, 41)
LOW_INSTRUMENTS = {42, 43, 57, 58, 67, 70, 32, 33, 34, 35, 36, 37, 38, 39, 47}


@dataclass
class Note:
    """One note: onset and duration in seconds on the song's timeline, MIDI pitch 0–127,
    velocity 1–127, GM program (0-based) and MIDI channel (0-based; 9 = drums).
    `grid_time` is the onset before humanising."""

    time: float
    pitch: int
    velocity: int
    duration: float
    program: int
    channel: int
    grid_time: float = 0.0
    part: int = 0


@dataclass
class Harmony:
    """What composition needs from the map, for the whole song: beat times, bar position per
    beat (1 = downbeat), beats per bar, a chord label per beat and the key."""

    beats: list[float]
    bar_positions: list[int]
    beats_per_bar: int
    beat_chords: list[str]
    key: str

    @classmethod
    def from_map(cls, m, start: float = 0.0, end: float | None = None) -> Harmony:
        """From a `MusicMap` (or anything with its fields). Without a steady beat a 120-bpm
        grid in 4/4 is laid from `start`, with the key's tonic chord on every beat."""
        key = m.key or _key_from_chords(list(m.beat_chords or [])) or "C major"
        key = reconcile_mode(key, list(m.beat_chords or []))
        if m.steady_beat and len(m.beats) >= 2:
            bpb = int(m.beats_per_bar or 4)
            positions = list(m.bar_positions) or [i % bpb + 1 for i in range(len(m.beats))]
            chords = [in_key_chord(c, key) for c in m.beat_chords] or ["N"] * len(m.beats)
            return cls(list(m.beats), positions, bpb, chords, key)
        stop = end if end is not None else float(m.duration)
        beats = list(np.arange(start, stop + 2.0, 0.5))
        return cls(beats, [i % 4 + 1 for i in range(len(beats))], 4, ["N"] * len(beats), key)


def parse_key(key: str) -> tuple[int, bool]:
    """("A minor") → (9, True)."""
    name, _, mode = key.partition(" ")
    pc = NAMES.index(name) if name in NAMES else _ALIASES.get(name, 0)
    return pc, mode.startswith("min")


def scale_pcs(key: str) -> set[int]:
    tonic, minor = parse_key(key)
    return {(tonic + s) % 12 for s in (MINOR if minor else MAJOR)}


def pentatonic_pcs(key: str) -> set[int]:
    tonic, minor = parse_key(key)
    steps = (0, 3, 5, 7, 10) if minor else (0, 2, 4, 7, 9)
    return {(tonic + s) % 12 for s in steps}


def chord_pcs(label: str, key: str) -> tuple[int, list[int]]:
    """(root pc, chord pcs root first) of a mir_eval-style label; 'N' or unreadable → the
    key's tonic triad."""
    if ":" in label:
        root, _, qual = label.partition(":")
        qual = qual.split("/")[0]
        r = NAMES.index(root) if root in NAMES else _ALIASES.get(root)
        if r is not None:
            tones = QUALITY.get(qual, QUALITY["min" if qual.startswith("min") else "maj"])
            return r, [(r + t) % 12 for t in tones]
    tonic, minor = parse_key(key)
    return tonic, [(tonic + t) % 12 for t in QUALITY["min" if minor else "maj"]]


MODE_MARGIN = 0.05  # the parallel mode must cover this much more of the chords' tones


def reconcile_mode(key: str, labels: list[str]) -> str:
    """The key the parts are written in: the map's key, or its parallel mode when the song's own
    chords sit clearly better in that (a map may hear the right tonic in the wrong mode, e.g.
    "F major" over F minor, C minor and B-flat minor chords; a melody's passing tones from the
    wrong mode then clash with every chord)."""
    tones = [pc for lab in labels if ":" in lab for pc in chord_pcs(lab, key)[1]]
    if not tones:
        return key
    tonic, minor = parse_key(key)
    other = f"{NAMES[tonic]} {'major' if minor else 'minor'}"

    def cover(k: str) -> float:
        scale = scale_pcs(k)
        return sum(pc in scale for pc in tones) / len(tones)

    return other if cover(other) >= cover(key) + MODE_MARGIN else key


def in_key_chord(label: str, key: str) -> str:
    """The chord a session player plays for a beat the map labelled `label`: the label itself
    when its tones are in the key (a minor key's raised leading tone allowed, so V and V7 stay),
    else the key's triad sharing the most tones with it, the same root first. A map's chord
    estimate is right about two beats in three, and an out-of-key label is far more often a
    misheard chord (B minor for G major in C minor) than a borrowed one; a part that trusted it
    would clash with the key the whole song is in."""
    if ":" not in label:
        return label
    root, pcs = chord_pcs(label, key)
    tonic, minor = parse_key(key)
    allowed = scale_pcs(key) | ({(tonic + 11) % 12} if minor else set())
    if all(pc in allowed for pc in pcs):
        return label
    best, best_score = label, -1
    steps, qualities = ((MINOR, ("min", None, "maj", "min", "maj", "maj", "maj")) if minor
                        else (MAJOR, ("maj", "min", "min", "maj", "maj", "min", None)))
    for step, quality in zip(steps, qualities, strict=True):
        if quality is None:  # the diminished triad: no chord to play for a misheard one
            continue
        r = (tonic + step) % 12
        tones = {(r + t) % 12 for t in QUALITY[quality]}
        score = 2 * len(tones & set(pcs)) + (r == root)
        if score > best_score:
            best, best_score = f"{NAMES[r]}:{quality}", score
    return best


def _key_from_chords(labels: list[str]) -> str | None:
    named = [lab for lab in labels if ":" in lab]
    if not named:
        return None
    root, _, q = named[0].partition(":")
    return f"{root} {'minor' if q.startswith('min') else 'major'}"


@dataclass
class Slot:
    """One beat of the region: onset, length, bar position, chord."""

    time: float
    length: float
    position: int
    chord: str
    index: int  # beat index in the song


def slots(h: Harmony, start: float, end: float) -> list[Slot]:
    """The beats that start inside [start, end), with their lengths (the last one as long as
    the beat before it)."""
    i0 = bisect.bisect_left(h.beats, start - 1e-6)
    out = []
    for i in range(i0, len(h.beats)):
        t = h.beats[i]
        if t >= end - 1e-6:
            break
        nxt = h.beats[i + 1] if i + 1 < len(h.beats) else t + (t - h.beats[i - 1] if i else 0.5)
        out.append(Slot(t, nxt - t, h.bar_positions[i] if i < len(h.bar_positions) else 1,
                        h.beat_chords[i] if i < len(h.beat_chords) else "N", i))
    return out


def is_strong(position: int, beats_per_bar: int) -> bool:
    """The downbeat, and the bar's middle beat in 4/4."""
    return position == 1 or (beats_per_bar == 4 and position == 3)


def _nearest(pcs, target: float, lo: int, hi: int) -> int:
    """The pitch in [lo, hi] with a pitch class in `pcs` nearest to `target`."""
    cands = [p for p in range(lo, hi + 1) if p % 12 in pcs]
    return min(cands, key=lambda p: (abs(p - target), p))


def _register(part: Part, plan: Plan) -> tuple[int, int]:
    lo, hi = {"solo": (62, 86), "melody": (60, 81), "pad": (52, 76), "arpeggio": (55, 84),
              "bass": (31, 50)}.get(part.role, (60, 84))
    shift = {"low": -12, "high": 12}.get(plan.register, 0)
    if part.role != "bass" and part.program in LOW_INSTRUMENTS:
        shift -= 12
    if part.role == "bass":
        shift = {"low": -5, "high": 7}.get(plan.register, 0)
    return lo + shift, hi + shift


def _velocity(plan: Plan, part: Part) -> int:
    base = {"very soft": 55, "soft": 68, "medium": 84, "loud": 104}[plan.dynamics]
    if part.role in ("pad",):
        base -= 8
    return base


# motif rhythms for one bar of 4 beats, in eighths: (onset, length)
MOTIFS = {
    "sparse": [[(0, 4), (4, 3)], [(0, 2), (2, 2), (4, 4)], [(0, 6)], [(0, 3), (3, 1), (4, 4)]],
    "medium": [[(0, 2), (2, 1), (3, 1), (4, 2), (6, 2)], [(0, 1), (1, 1), (2, 2), (4, 3)],
               [(0, 3), (3, 1), (4, 1), (5, 1), (6, 2)], [(0, 2), (2, 2), (4, 1), (5, 1), (6, 2)]],
    "busy": [[(i, 1) for i in range(8)], [(0, 1), (1, 1), (2, 1), (3, 1), (4, 2), (6, 1), (7, 1)],
             [(0, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1)]],
}


def _bars(sl: list[Slot]) -> list[list[Slot]]:
    """The region's beats grouped into bars (a partial bar at either end stays a group)."""
    bars: list[list[Slot]] = []
    for s in sl:
        if not bars or s.position == 1 or s.position <= bars[-1][-1].position:
            bars.append([s])
        else:
            bars[-1].append(s)
    return bars


def _at(bar: list[Slot], eighth: int) -> tuple[float, Slot, bool] | None:
    """Onset of eighth `eighth` of the bar (0 = its first beat), its beat, and whether it
    is on the beat."""
    b, half = divmod(eighth, 2)
    if b >= len(bar):
        return None
    s = bar[b]
    return s.time + half * s.length / 2, s, half == 0


def _lead(part: Part, plan: Plan, h: Harmony, sl: list[Slot], rng, ch: int) -> list[Note]:
    lo, hi = _register(part, plan)
    scale = scale_pcs(h.key)
    penta = pentatonic_pcs(h.key)
    density = plan.density if part.role == "solo" or plan.density != "busy" else "medium"
    if part.role == "solo" and plan.density == "medium" and rng.random() < 0.5:
        density = "busy"
    vel = _velocity(plan, part)
    notes: list[Note] = []
    pitch = float(rng.integers(lo + 5, hi - 5))
    bars = _bars(sl)
    motif = MOTIFS[density][int(rng.integers(len(MOTIFS[density])))]
    direction = 1 if rng.random() < 0.5 else -1
    for bi, bar in enumerate(bars):
        phrase_end = bi % 2 == 1 or bi == len(bars) - 1
        if bi % 2 == 0:  # a new phrase: maybe a new motif, a new contour
            if rng.random() < 0.4:
                motif = MOTIFS[density][int(rng.integers(len(MOTIFS[density])))]
            direction = 1 if pitch < (lo + hi) / 2 else -1
        rhythm = list(motif)
        if phrase_end:  # the answer: the motif's start, then a held chord tone and a rest
            keep = [(o, n) for o, n in rhythm if o < max(2, len(bar) * 2 - 4)]
            rhythm = keep + [(max(2, len(bar) * 2 - 4), 3)]
        scale_for = penta if part.role == "solo" and rng.random() < 0.5 else scale
        for k, (o, n) in enumerate(rhythm):
            at = _at(bar, o)
            if at is None:
                continue
            t, slot, on_beat = at
            _, tones = chord_pcs(slot.chord, h.key)
            last = phrase_end and k == len(rhythm) - 1
            if on_beat or last:
                step = float(rng.choice([1, 2, 3, 4])) * direction
                target = pitch + step
                pcs = set(tones[:3]) if last else set(tones)
                if last:
                    pcs = {tones[0], tones[1]} & set(tones) or set(tones)
                new = _nearest(pcs, target, lo, hi)
            else:
                pcs = scale_for & scale or scale
                new = _nearest(pcs, pitch + direction * float(rng.choice([1, 2])), lo, hi)
                if new == int(pitch):
                    new = _nearest(pcs - {new % 12} or pcs, pitch + direction * 2, lo, hi)
            if new >= hi - 2:
                direction = -1
            elif new <= lo + 2:
                direction = 1
            elif rng.random() < 0.15:
                direction = -direction
            pitch = float(new)
            dur = min(n * slot.length / 2, sum(s.length for s in bar) - (t - bar[0].time))
            v = vel + (10 if slot.position == 1 and on_beat else 0) - (0 if on_beat else 6)
            notes.append(Note(t, new, v, dur * 0.92, part.program, ch, t))
    return notes


def _voicings(tones: list[int], lo: int, hi: int, size: int) -> list[list[int]]:
    """Close and open voicings of the chord in [lo, hi]: `size` notes, every chord tone
    present (the root doubled when the chord has fewer tones than `size`)."""
    out = []
    pcs = list(tones[:size])
    while len(pcs) < size:
        pcs.append(tones[0])
    for bottom in range(lo, lo + 12):
        if bottom % 12 not in pcs:
            continue
        order = pcs[pcs.index(bottom % 12):] + pcs[:pcs.index(bottom % 12)]
        voicing, p = [bottom], bottom
        for pc in order[1:]:
            p = p + 1 + (pc - p - 1) % 12
            voicing.append(p)
        if voicing[-1] <= hi:
            out.append(voicing)
    return out or [[lo + (t - lo) % 12 for t in tones[:size]]]


def _voice_lead(prev: list[int] | None, options: list[list[int]]) -> list[int]:
    if prev is None:
        return options[len(options) // 2]
    return min(options, key=lambda v: sum(abs(a - b) for a, b in zip(sorted(v), sorted(prev),
                                                                     strict=False)))


def _chord_spans(bar: list[Slot], halftime: bool) -> list[tuple[float, float, str]]:
    """(onset, length, chord) per chord within a bar."""
    spans: list[tuple[float, float, str]] = []
    for s in bar:
        if spans and (s.chord == spans[-1][2] or halftime):
            spans[-1] = (spans[-1][0], spans[-1][1] + s.length, spans[-1][2])
        else:
            spans.append((s.time, s.length, s.chord))
    return spans


def _pad(part: Part, plan: Plan, h: Harmony, sl: list[Slot], rng, ch: int) -> list[Note]:
    lo, hi = _register(part, plan)
    size = 4 if plan.density != "sparse" else 3
    vel = _velocity(plan, part)
    notes, prev = [], None
    for bar in _bars(sl):
        for t, length, chord in _chord_spans(bar, "half-time" in plan.feel):
            _, tones = chord_pcs(chord, h.key)
            voicing = _voice_lead(prev, _voicings(tones, lo, hi, size))
            prev = voicing
            for p in voicing:
                notes.append(Note(t, p, vel, length * 0.97, part.program, ch, t))
    return notes


def _arpeggio(part: Part, plan: Plan, h: Harmony, sl: list[Slot], rng, ch: int) -> list[Note]:
    lo, hi = _register(part, plan)
    per_beat = {"sparse": 1, "medium": 2, "busy": 4}[plan.density]
    vel = _velocity(plan, part)
    pattern = [0, 1, 2, 3, 2, 1] if rng.random() < 0.5 else [0, 2, 1, 3, 2, 1]
    notes, prev, k = [], None, 0
    for s in sl:
        _, tones = chord_pcs(s.chord, h.key)
        voicing = _voice_lead(prev, _voicings(tones, lo, hi - 12 if hi - lo > 24 else hi, 3))
        prev = voicing
        ladder = sorted(voicing) + [sorted(voicing)[0] + 12]
        for j in range(per_beat):
            t = s.time + j * s.length / per_beat
            p = ladder[pattern[k % len(pattern)] % len(ladder)]
            k += 1
            v = vel + (8 if j == 0 and s.position == 1 else 0)
            notes.append(Note(t, p, v, s.length / per_beat * 1.6, part.program, ch, t))
    return notes


def _bass(part: Part, plan: Plan, h: Harmony, sl: list[Slot], rng, ch: int) -> list[Note]:
    lo, hi = _register(part, plan)
    vel = _velocity(plan, part) + 4
    notes = []
    halftime = "half-time" in plan.feel or plan.density == "sparse"
    for bar in _bars(sl):
        for b, s in enumerate(bar):
            root, tones = chord_pcs(s.chord, h.key)
            changed = b > 0 and s.chord != bar[b - 1].chord
            if s.position == 1 or changed:
                pc = root
            elif h.beats_per_bar == 4 and s.position == 3:
                pc = tones[2] if rng.random() < 0.6 else root
            elif halftime:
                continue
            else:
                pc = root if rng.random() < 0.6 else tones[2]
            p = _nearest({pc}, (lo + hi) / 2 - 4, lo, hi)
            hold = s.length
            if halftime:  # hold until the next note
                nxt = [x for x in bar[b + 1:] if x.position == 3 or x.chord != s.chord]
                hold = (nxt[0].time if nxt else bar[-1].time + bar[-1].length) - s.time
            notes.append(Note(s.time, p, vel + (6 if s.position == 1 else 0), hold * 0.9,
                              part.program, ch, s.time))
            if plan.density == "busy" and not halftime:
                t2 = s.time + s.length / 2
                p2 = p + 12 if p + 12 <= hi + 12 and rng.random() < 0.5 else p
                notes.append(Note(t2, p2, vel - 10, s.length * 0.4, part.program, ch, t2))
    return notes


def _fill(bar: list[Slot], vel: int, rich: bool) -> list[Note]:
    """A tom fill over the bar's last two beats (sixteenths when `rich`, else eighths)."""
    notes = []
    tail = bar[-2:] if len(bar) >= 2 else bar
    per = 4 if rich else 2
    k = 0
    for s in tail:
        for j in range(per):
            t = s.time + j * s.length / per
            drum = TOMS[min(k * len(TOMS) // (per * len(tail)), len(TOMS) - 1)]
            notes.append(Note(t, drum if k % 3 else SNARE, vel + k, s.length / per,
                              0, DRUM_CHANNEL, t))
            k += 1
    return notes


def _drums(part: Part, plan: Plan, h: Harmony, sl: list[Slot], rng, ch: int) -> list[Note]:
    vel = _velocity(plan, part)
    bars = _bars(sl)
    bpb = h.beats_per_bar
    notes: list[Note] = []
    halftime = "half-time" in plan.feel
    hat = RIDE if (plan.style == "jazz") else HAT
    busy = plan.density == "busy"
    for bi, bar in enumerate(bars):
        last = bi == len(bars) - 1
        fill_here = (last or bi % 4 == 3) and len(bar) >= 2
        if part.role == "fill":
            if last:
                notes += _fill(bar, vel, True)
            continue
        grow = (bi + 1) / len(bars) if "build-up" in plan.feel else 1.0
        for b, s in enumerate(bar):
            if fill_here and b >= len(bar) - 2:
                continue
            pos = s.position
            if pos == 1 and (bi == 0 or "drop" in plan.feel):
                notes.append(Note(s.time, CRASH, vel, s.length, 0, DRUM_CHANNEL, s.time))
            kick = pos == 1 or (bpb == 4 and pos == 3 and not halftime) or "drop" in plan.feel
            snare = ((bpb == 4 and (pos == 3 if halftime else pos in (2, 4)))
                     or (bpb == 3 and pos in (2, 3)) or (bpb == 2 and pos == 2))
            if "breakdown" in plan.feel:
                snare = False
            if kick:
                notes.append(Note(s.time, KICK, vel + 6, s.length / 2, 0, DRUM_CHANNEL, s.time))
            if snare:
                notes.append(Note(s.time, SNARE, int(vel * (0.7 + 0.3 * grow)), s.length / 2,
                                  0, DRUM_CHANNEL, s.time))
            subs = 4 if busy else 2
            for j in range(subs):
                t = s.time + j * s.length / subs
                accent = 0 if j == 0 else -14
                notes.append(Note(t, hat, vel - 10 + accent, s.length / subs, 0,
                                  DRUM_CHANNEL, t))
            if busy and bpb == 4 and pos == 2:  # kick on the and of two
                t = s.time + s.length / 2
                notes.append(Note(t, KICK, vel, s.length / 2, 0, DRUM_CHANNEL, t))
        if fill_here:
            notes += _fill(bar, vel, busy or last)
    return notes


ROLE_FN = {"solo": _lead, "melody": _lead, "pad": _pad, "arpeggio": _arpeggio,
           "bass": _bass, "drums": _drums, "fill": _drums}


def humanise(notes: list[Note], rng, amount: float = 1.0) -> list[Note]:
    """Onsets moved by a clipped Gaussian (σ = MAX_JITTER_S / 2.5), velocities by ±
    MAX_VEL_JITTER; `grid_time` is kept."""
    out = []
    for n in notes:
        dt = float(np.clip(rng.normal(0, MAX_JITTER_S / 2.5 * amount), -MAX_JITTER_S,
                           MAX_JITTER_S))
        dv = int(rng.integers(-MAX_VEL_JITTER, MAX_VEL_JITTER + 1) * amount)
        out.append(replace(n, time=max(0.0, n.time + dt), velocity=int(np.clip(
            n.velocity + dv, 1, 127))))
    return out


def _untangle(notes: list[Note]) -> list[Note]:
    """A note ends before the next onset of the same pitch on its channel (a synthesiser or a
    DAW would cut or merge the overlap); exact duplicates are dropped."""
    out: list[Note] = []
    last: dict[tuple[int, int], Note] = {}
    for n in sorted(notes, key=lambda n: (n.time, n.channel, n.pitch)):
        prev = last.get((n.channel, n.pitch))
        if prev is not None:
            if n.time - prev.time < 0.01:
                continue
            prev.duration = min(prev.duration, n.time - prev.time - 0.005)
        last[(n.channel, n.pitch)] = n
        out.append(n)
    return out


def compose(plan: Plan, harmony: Harmony, start: float, end: float, seed: int = 0,
            humanize: bool = True) -> list[Note]:
    """The plan's parts as notes inside [start, end), sorted by onset. With `humanize` False
    every onset is on the grid (beats and their subdivisions)."""
    sl = slots(harmony, start, end)
    notes: list[Note] = []
    channel = 0
    for i, part in enumerate(plan.parts):
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, i])
        if part.drums:
            ch = DRUM_CHANNEL
        else:
            ch = channel
            channel += 1 + (channel + 1 == DRUM_CHANNEL)
        made = ROLE_FN[part.role](part, plan, harmony, sl, rng, ch)
        for n in made:
            n.part = i
            n.velocity = int(np.clip(n.velocity, 1, 127))
            n.duration = max(0.02, min(n.duration, end - n.time))
        made = [n for n in made if start - 1e-6 <= n.time < end]
        if humanize:
            made = humanise(made, np.random.default_rng([int(seed) & 0xFFFFFFFF, i, 7]))
            for n in made:
                n.time = max(start, n.time)
                n.duration = max(0.02, min(n.duration, end - n.time))
        notes += _untangle(made)
    notes.sort(key=lambda n: (n.time, n.channel, n.pitch))
    return notes
