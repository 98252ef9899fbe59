"""Ground truth from a MIDI file (pretty_midi): beats, downbeats, tempo, time signature, key
(from key-signature events only; None where the file has none) and chords per beat (a simple
judge written for this benchmark, independent of the analysis: the sounding non-drum notes of
each beat, weighted by overlap and velocity with the bass note counted extra, matched against
major, minor, diminished, augmented and sus4 triads ("X:5" where the third is missing;
mir_eval's majmin leaves such beats out); "N" where nothing sounds). A second
key for information only: the signature's tonic with the mode its notes take (`notes_mode`). Section
boundaries are a proxy: bars where the orchestration (which instruments play) changes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
JUDGE = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8),
         "sus4": (0, 5, 7)}


@dataclass
class Truth:
    end: float
    beats: np.ndarray
    downbeats: np.ndarray
    tempo_bpm: float
    time_signature: str
    key: str | None
    notes_key: str | None  # the signature's tonic with the mode its notes sound (info only)
    chords: list[tuple[float, float, str]]
    sections: np.ndarray  # boundary times (proxy)


def _judge_chord(w: np.ndarray, bass: int | None) -> str:
    if w.sum() <= 1e-9:
        return "N"
    best, label, third = -np.inf, "N", 0
    for q, tones in JUDGE.items():
        for r in range(12):
            pcs = [(r + t) % 12 for t in tones]
            inside = w[pcs].sum()
            score = inside - (w.sum() - inside) - 0.05 * (q not in ("maj", "min"))
            score += 0.3 * w.sum() * (bass == r) / 3
            # all three tones should sound at least a little for a triad verdict
            score -= 0.5 * sum(w[p] <= 1e-9 for p in pcs) * w.max()
            if score > best:
                best, label, third = score, f"{NAMES[r]}:{q}", (r + tones[1]) % 12
    if label.endswith(("maj", "min")) and w[third] < 0.1 * w.max():
        label = label.split(":")[0] + ":5"  # no third sounds: a power chord, not major/minor
    return label


def notes_mode(key: str | None, notes: list) -> str | None:
    """`key` with the mode the notes themselves take: the signature's tonic, minor where the
    minor third above it sounds longer than the major third (blues and modal pieces are often
    written under the major key's signature while their notes are minor). None without a key."""
    if key is None or not notes:
        return key
    tonic = NAMES.index(key.split()[0])
    w = np.zeros(12)
    for start, end, pitch, _vel in notes:
        w[pitch % 12] += end - start
    minor = w[(tonic + 3) % 12] > w[(tonic + 4) % 12]
    return f"{NAMES[tonic]} {'minor' if minor else 'major'}"


def chords_from_notes(notes: list, beats: np.ndarray, end: float) -> list[tuple[float, float, str]]:
    """One judged chord per beat, equal neighbours merged."""
    if len(beats) == 0:
        return []
    edges = np.concatenate([beats, [end]])
    starts = np.array([n[0] for n in notes])
    ends = np.array([n[1] for n in notes])
    pitch = np.array([n[2] for n in notes])
    vel = np.array([n[3] for n in notes], dtype=float)
    out: list[tuple[float, float, str]] = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if b <= a:
            continue
        ov = np.minimum(ends, b) - np.maximum(starts, a)
        on = ov > 0.0
        if not on.any():
            lab = "N"
        else:
            w = np.zeros(12)
            np.add.at(w, pitch[on] % 12, ov[on] * vel[on])
            bass = int(pitch[on].min() % 12)
            w[bass] += 0.5 * w.max()
            lab = _judge_chord(w / w.sum(), bass)
        if out and out[-1][2] == lab:
            out[-1] = (out[-1][0], float(b), lab)
        else:
            out.append((float(a), float(b), lab))
    return out


def orchestration_boundaries(pm, downbeats: np.ndarray, end: float) -> np.ndarray:
    """Bars where the set of playing instruments changes against both the two bars before and
    the previous bar (and stays changed for the next bar): a proxy for section boundaries."""
    bars = np.concatenate([downbeats, [end]])
    insts = [i for i in pm.instruments]
    act = np.zeros((len(bars) - 1, len(insts)), bool)
    for j, inst in enumerate(insts):
        if not inst.notes:
            continue
        s = np.array([n.start for n in inst.notes])
        e = np.array([n.end for n in inst.notes])
        for i in range(len(bars) - 1):
            act[i, j] = np.any((s < bars[i + 1]) & (e > bars[i]))
    out = []
    last = -10
    for i in range(2, len(act) - 1):
        before = act[i - 2] | act[i - 1]
        after = act[i] | act[i + 1]
        union = (before | after).sum()
        if union == 0:
            continue
        jd = 1.0 - (before & after).sum() / union
        if jd >= 0.34 and not np.array_equal(act[i - 1], act[i]) and i - last >= 4:
            out.append(bars[i])
            last = i
    return np.asarray(out)


def truth(midi_path: str) -> Truth:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(midi_path)
    end = float(pm.get_end_time())
    beats = pm.get_beats()
    beats = beats[beats < end - 0.05]
    downbeats = pm.get_downbeats()
    downbeats = downbeats[downbeats < end - 0.05]
    tempo = 60.0 / float(np.median(np.diff(beats)))
    ts = pm.time_signature_changes
    sig = f"{ts[0].numerator}/{ts[0].denominator}" if ts else "4/4"
    key = None
    if pm.key_signature_changes:
        k = pm.key_signature_changes[0].key_number
        key = f"{NAMES[k % 12]} {'major' if k < 12 else 'minor'}"
    notes = [(n.start, n.end, n.pitch, n.velocity) for inst in pm.instruments
             if not inst.is_drum for n in inst.notes]
    chords = chords_from_notes(notes, beats, end)
    sections = orchestration_boundaries(pm, downbeats, end)
    return Truth(end, beats, downbeats, tempo, sig, key, notes_mode(key, notes), chords, sections)
