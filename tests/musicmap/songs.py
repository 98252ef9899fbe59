"""Test songs with exact answers, beyond core/synth.py's 4/4 band songs: a 3/4 waltz (bass on
one, chords on two and three, the harmony changing every bar) and a drone with no beat at all."""

from __future__ import annotations

import numpy as np

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.synth import compose

RATE = 44100
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MINOR = (0, 2, 3, 5, 7, 8, 10)
# the triad quality of each natural-minor degree (synth._chord builds triads on the scale)
DEGREE_QUALITY = ("min", "dim", "maj", "min", "min", "maj", "maj")


def synth_key(seed: int) -> tuple[int, str]:
    """(tonic pitch class, "X minor") of `synth_song(seed=...)`: compose draws the tempo
    phase, then the root, from its generator."""
    rng = np.random.default_rng(seed)
    rng.uniform(0, 2 * np.pi)
    root = 45 + int(rng.integers(0, 8))
    return root % 12, f"{NAMES[root % 12]} minor"


def synth_bar_chords(seconds: float, bpm: float, seed: int) -> list[tuple[float, float, str]]:
    """The chord of every bar of a synth song, as [start, end, "X:maj"/"X:min"]."""
    from inpaint_studio.core.synth import _PROGRESSIONS

    plan = compose(seconds, bpm, seed)
    tonic, _ = synth_key(seed)
    out = []
    for name, b0, b1 in plan.sections:
        for bar, bb in enumerate(range(b0, b1, 4)):
            if bb + 4 >= len(plan.beat_times):
                break
            degree = _PROGRESSIONS[name][bar % 4]
            root = (tonic + MINOR[degree % 7]) % 12
            t0, t1 = plan.beat_times[bb], plan.beat_times[bb + 4]
            if t0 < seconds:
                out.append((float(t0), float(min(t1, seconds)),
                            f"{NAMES[root]}:{DEGREE_QUALITY[degree % 7]}"))
    return out


def _note(freq: float, n: int, decay: float) -> np.ndarray:
    t = np.arange(n) / RATE
    ph = 2 * np.pi * freq * t
    return (np.sin(ph) + 0.4 * np.sin(2 * ph) + 0.2 * np.sin(3 * ph)) * np.exp(-t / decay)


def waltz(seconds: float = 40.0, bpm: float = 150.0) -> tuple[Audio, np.ndarray, np.ndarray]:
    """(stereo audio, beat times, downbeat times) of a 3/4 waltz in C major: I–IV–V–I."""
    beat = 60.0 / bpm
    n = int(seconds * RATE)
    y = np.zeros(n + RATE)
    prog = [(0, 4, 7), (5, 9, 12), (7, 11, 14), (0, 4, 7)]
    beats = np.arange(0.0, seconds - beat, beat)
    rng = np.random.default_rng(1)
    for i, t in enumerate(beats):
        bar = i // 3
        chord = prog[bar % 4]
        i0 = int(t * RATE)
        if i % 3 == 0:  # bass note and a low thump on the downbeat
            y[i0 : i0 + int(beat * 3 * RATE)] += 0.5 * _note(
                65.41 * 2 ** (chord[0] / 12), int(beat * 3 * RATE), 0.8)
            k = np.arange(int(0.15 * RATE)) / RATE
            y[i0 : i0 + len(k)] += 0.6 * np.sin(2 * np.pi * 60 * k) * np.exp(-k / 0.05)
        else:  # chord on two and three
            for p in chord:
                y[i0 : i0 + int(beat * RATE)] += 0.12 * _note(
                    261.63 * 2 ** (p / 12), int(beat * RATE), 0.3)
            k = np.arange(int(0.03 * RATE))
            y[i0 : i0 + len(k)] += 0.1 * rng.standard_normal(len(k)) * np.exp(-k / 300)
    y = y[:n] / np.max(np.abs(y)) * 0.8
    return Audio(np.stack([y, y]).astype(np.float32), RATE), beats, beats[::3]


def drone(seconds: float = 30.0) -> Audio:
    """A sustained, slowly swelling A-minor drone with noise: no onsets, no beat."""
    t = np.arange(int(seconds * RATE)) / RATE
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / 11.0)
    y = sum(np.sin(2 * np.pi * f * t + i) for i, f in enumerate((110.0, 130.81, 164.81, 220.0)))
    y = 0.15 * y * swell + 0.01 * np.random.default_rng(0).standard_normal(len(t))
    return Audio(np.stack([y, 0.9 * y]).astype(np.float32), RATE)


ORCHESTRATION_FORM = (("A", ("bass", "keys")), ("B", ("bass", "keys", "drums", "lead")),
                      ("A", ("bass", "keys")), ("C", ("keys", "lead")),
                      ("B", ("bass", "keys", "drums", "lead")))


def orchestrated(bars_per_section: int = 12, bpm: float = 120.0,
                 seed: int = 2) -> tuple[Audio, np.ndarray, list[str]]:
    """(audio, section start times, section letters) of a 4/4 song in A minor whose sections
    differ the way the benchmark's proxy defines them — by which instruments play (bass, keys,
    drums, lead; ORCHESTRATION_FORM) — over one i–VI–III–VII progression, a chord per bar."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    bar = 4 * beat
    total = len(ORCHESTRATION_FORM) * bars_per_section
    n = int((total * bar + 1.0) * RATE)
    y = np.zeros(n + 4 * RATE)
    prog = [(57, 60, 64), (53, 57, 60), (48, 52, 55), (55, 59, 62)]  # Am F C G
    hz = lambda p: 440.0 * 2 ** ((p - 69) / 12)  # noqa: E731
    starts = []
    for s, (_, parts) in enumerate(ORCHESTRATION_FORM):
        starts.append(s * bars_per_section * bar)
        for b in range(bars_per_section):
            k = s * bars_per_section + b
            t0 = k * bar
            chord = prog[k % 4]
            i0 = int(t0 * RATE)
            if "bass" in parts:
                for q in range(4):
                    j = int((t0 + q * beat) * RATE)
                    y[j : j + int(beat * RATE)] += 0.35 * _note(hz(chord[0] - 24),
                                                                int(beat * RATE), 0.4)
            if "keys" in parts:
                for p in chord:
                    y[i0 : i0 + int(bar * RATE)] += 0.08 * _note(hz(p), int(bar * RATE), 1.5)
            if "drums" in parts:
                for q in range(8):
                    j = int((t0 + q * beat / 2) * RATE)
                    m = int(0.05 * RATE)
                    y[j : j + m] += 0.15 * rng.standard_normal(m) * np.exp(-np.arange(m) / 200)
                    if q % 4 == 0:
                        kk = np.arange(int(0.15 * RATE)) / RATE
                        y[j : j + len(kk)] += 0.6 * np.sin(2 * np.pi * 55 * kk) * np.exp(-kk / 0.05)
            if "lead" in parts:
                for q in range(4):
                    j = int((t0 + q * beat) * RATE)
                    p = chord[int(rng.integers(0, 3))] + 12
                    y[j : j + int(beat * RATE)] += 0.12 * _note(hz(p), int(beat * RATE), 0.3)
    y = y[:n] / np.max(np.abs(y)) * 0.8
    return (Audio(np.stack([y, y]).astype(np.float32), RATE), np.asarray(starts),
            [name for name, _ in ORCHESTRATION_FORM])
