"""Synthetic songs for demos, screenshots, tests and benchmarks (numpy only, seeded).

A song is composed on a beat grid (`compose`) and then rendered (`render`): drums with real
transients (kick, snare, hats, crashes, tom fills), a plucked bass, electric-piano or pad chords,
a lead melody and a little stereo room. Sections (intro/verse/chorus/bridge/outro) repeat but are
never bit-identical: every hit and note gets its own timing and velocity humanisation, fresh noise,
and section-ending fills differ. `drift` bends the tempo slowly (±drift of the nominal BPM), so
beat-tracking code is exercised on non-constant tempo. Same arguments → same samples."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from inpaint_studio.core.audio import Audio

MINOR = (0, 2, 3, 5, 7, 8, 10)
_PROGRESSIONS = {  # scale degrees (0 = tonic), one chord per bar, 4 bars repeated
    "intro": (0, 5, 2, 6),
    "verse": (0, 5, 2, 6),
    "chorus": (5, 6, 0, 0),
    "bridge": (3, 4, 5, 6),
    "outro": (0, 5, 6, 0),
}
_FORM = ("intro", "verse", "chorus", "verse", "chorus", "bridge", "chorus", "chorus")
_SECTION_BARS = {"intro": 4, "verse": 8, "chorus": 8, "bridge": 8, "outro": 4}


@dataclass
class Note:
    """One event: `beat` on the song's beat axis (fractional), length in beats, MIDI pitch."""

    instrument: str
    beat: float
    length: float
    pitch: float
    velocity: float


@dataclass
class SongPlan:
    """What `compose` decided: beat times (s), bar-aligned sections and every note."""

    beat_times: np.ndarray
    sections: list[tuple[str, int, int]]  # (name, first beat, end beat)
    notes: list[Note] = field(default_factory=list)
    style: str = "band"


def _beat_times(n_beats: int, bpm: float, drift: float, rng: np.random.Generator) -> np.ndarray:
    """Onset time of each beat; tempo wanders sinusoidally by ±drift (a fraction) over ~40 s."""
    b = np.arange(n_beats + 1, dtype=np.float64)
    phase = rng.uniform(0, 2 * np.pi)
    period = max(32.0, bpm * 40.0 / 60.0)  # beats per tempo cycle
    tempo = bpm * (1.0 + drift * np.sin(2 * np.pi * b / period + phase))
    return np.concatenate([[0.0], np.cumsum(60.0 / tempo[:-1])])


def _chord(root: int, degree: int) -> list[int]:
    """A triad (plus a seventh on some degrees) built on the natural-minor scale."""
    tones = []
    for step in (0, 2, 4, 6) if degree in (3, 5) else (0, 2, 4):
        d = degree + step
        tones.append(root + MINOR[d % 7] + 12 * (d // 7))
    return tones


def _melody_motif(rng: np.random.Generator, bars: int) -> list[tuple[float, float, int]]:
    """(beat offset, length, scale step) for one section type: chord-tone leaning contour."""
    motif: list[tuple[float, float, int]] = []
    step = int(rng.integers(2, 6))
    beat = 0.0
    while beat < bars * 4 - 0.01:
        length = float(rng.choice([0.5, 0.5, 1.0, 1.0, 1.5, 2.0]))
        if rng.random() < 0.18:  # a rest
            beat += length
            continue
        step = int(np.clip(step + rng.choice([-2, -1, -1, 0, 1, 1, 2, 3, -3]), 0, 11))
        motif.append((beat, min(length, bars * 4 - beat), step))
        beat += length
    return motif


def compose(
    seconds: float, bpm: float = 120.0, seed: int = 0, drift: float = 0.0, style: str = "band"
) -> SongPlan:
    """Decide the song: a beat grid covering `seconds`, its sections and every note."""
    if style not in ("band", "legato"):
        raise ValueError(f"unknown style {style!r} (use 'band' or 'legato')")
    rng = np.random.default_rng(seed)
    n_beats = int(np.ceil(seconds * bpm * (1 + abs(drift)) / 60.0)) + 8
    beats = _beat_times(n_beats, bpm, drift, rng)
    root = 45 + int(rng.integers(0, 8))  # A2 .. E3
    motifs = {name: _melody_motif(rng, 4) for name in _PROGRESSIONS}
    comp_patterns = {
        name: sorted(rng.choice([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5], 3, replace=False))
        for name in _PROGRESSIONS
    }
    sections: list[tuple[str, int, int]] = []
    beat = 0
    i = 0
    while beat < n_beats:
        name = _FORM[i] if i < len(_FORM) else _FORM[2 + (i - 2) % (len(_FORM) - 2)]
        bars = _SECTION_BARS[name]
        sections.append((name, beat, beat + 4 * bars))
        beat += 4 * bars
        i += 1
    plan = SongPlan(beats, sections, style=style)
    for name, b0, b1 in sections:
        _compose_section(plan, rng, name, b0, b1, root, motifs[name], comp_patterns[name])
    return plan


def _compose_section(
    plan: SongPlan,
    rng: np.random.Generator,
    name: str,
    b0: int,
    b1: int,
    root: int,
    motif: list[tuple[float, float, int]],
    comp: list[float],
) -> None:
    notes = plan.notes
    band = plan.style == "band"
    energy = {"intro": 0.6, "verse": 0.8, "chorus": 1.0, "bridge": 0.75, "outro": 0.6}[name]
    prog = _PROGRESSIONS[name]
    scale = [root + 12 + MINOR[s % 7] + 12 * (s // 7) for s in range(14)]
    for bar, bb in enumerate(range(b0, b1, 4)):
        degree = prog[bar % 4]
        chord = _chord(root + 12, degree)
        last_bar = bb + 4 >= b1
        # bass: root-heavy eighths, a fifth or an octave now and then
        bass_root = root - 12 + MINOR[degree % 7] + (12 if degree > 4 else 0)
        hits = np.arange(0, 4, 0.5 if band else 2.0)
        for h in hits:
            if band and rng.random() < 0.12 and h % 1:
                continue
            pitch = bass_root + (7 if rng.random() < 0.15 else 12 if rng.random() < 0.1 else 0)
            notes.append(Note("bass", bb + h, 0.45 if band else 1.9, pitch,
                              energy * rng.uniform(0.75, 1.0)))
        # chords: comping hits (band) or one sustained pad per bar (legato)
        if band:
            for c in comp:
                notes.append(Note("keys", bb + c, 0.9, 0.0, energy * rng.uniform(0.6, 0.9)))
                notes[-1].pitch = float(chord[0])
                for extra in chord[1:]:
                    notes.append(Note("keys", bb + c, 0.9, extra, notes[-1].velocity))
        else:
            for p in chord:
                notes.append(Note("pad", bb, 4.0, p, energy * rng.uniform(0.7, 0.85)))
        # drums
        if band and (name != "intro" or bar >= 2):
            _drum_bar(notes, rng, bb, name, energy, fill=last_bar, crash=(bar == 0))
    # lead: the section's motif twice, with a few notes varied on every pass
    if name != "intro":
        for rep in range((b1 - b0) // 16):
            for off, length, step in motif:
                if rng.random() < 0.1:
                    step = int(np.clip(step + rng.choice([-1, 1]), 0, 13))
                if rep == 1 and off >= 12 and rng.random() < 0.5:
                    step = int(np.clip(step - 1, 0, 13))  # answer phrase falls
                notes.append(Note("lead", b0 + 16 * rep + off, length, scale[step],
                                  energy * rng.uniform(0.65, 0.9)))


def _drum_bar(notes: list[Note], rng: np.random.Generator, bb: int, name: str,
              energy: float, fill: bool, crash: bool) -> None:
    v = lambda lo, hi: energy * rng.uniform(lo, hi)  # noqa: E731 - tiny local helper
    kicks = [0.0, 2.0] + ([1.5] if name == "chorus" else []) + ([2.5] if rng.random() < 0.3 else [])
    for k in kicks:
        notes.append(Note("kick", bb + k, 0.5, 0, v(0.85, 1.0)))
    for s in (1.0, 3.0):
        if not (fill and s == 3.0):
            notes.append(Note("snare", bb + s, 0.5, 0, v(0.8, 1.0)))
    step = 0.25 if name == "chorus" else 0.5
    for h in np.arange(0, 4 if not fill else 3, step):
        accent = 1.0 if h % 1 == 0 else 0.6
        openhat = name == "chorus" and h % 1 == 0.5 and rng.random() < 0.15
        notes.append(Note("ohat" if openhat else "hat", bb + h, 0.25, 0, v(0.5, 0.8) * accent))
    if crash:
        notes.append(Note("crash", bb, 4.0, 0, v(0.7, 0.9)))
    if fill:  # a different fill every time: snare/tom figure over the last beat or two
        start = 3.0 if rng.random() < 0.6 else 2.0
        grid = np.arange(start, 4.0, 0.25)
        for g in grid:
            if rng.random() < 0.8:
                kind = "snare" if rng.random() < 0.5 else "tom"
                pitch = float(rng.choice([0, 4, 7]))
                notes.append(Note(kind, bb + g, 0.25, pitch, v(0.5, 0.9)))


# ----------------------------------------------------------------------------- rendering ----
def _env(n: int, rate: int, attack: float, decay: float) -> np.ndarray:
    t = np.arange(n) / rate
    a = np.minimum(1.0, t / max(attack, 1e-4))
    return a * np.exp(-t / decay)


def _hp(x: np.ndarray) -> np.ndarray:
    """Crude high-pass: first difference (noise for hats and snares)."""
    return np.diff(x, prepend=0.0)


def _voice(note: Note, rate: int, rng: np.random.Generator, dur: float, soft: bool) -> np.ndarray:
    """Mono samples of one event, starting at its onset (`soft`: a slower lead attack)."""
    inst = note.instrument
    if inst == "kick":
        n = int(0.45 * rate)
        t = np.arange(n) / rate
        f = 48 + 110 * np.exp(-t / 0.035)
        body = np.sin(2 * np.pi * np.cumsum(f) / rate) * np.exp(-t / 0.22)
        click = rng.standard_normal(n) * np.exp(-t / 0.004) * 0.5
        return 0.95 * (body + click)
    if inst in ("snare", "tom"):
        n = int(0.35 * rate)
        t = np.arange(n) / rate
        base = 185.0 if inst == "snare" else 95.0 * 2 ** (note.pitch / 12)
        tone_ = np.sin(2 * np.pi * base * t * (1 + 0.3 * np.exp(-t / 0.02))) * np.exp(-t / 0.08)
        noise = _hp(rng.standard_normal(n)) * np.exp(-t / 0.09) * (0.7 if inst == "snare" else 0.1)
        return 0.6 * tone_ + 0.5 * noise
    if inst in ("hat", "ohat", "crash"):
        length = {"hat": 0.08, "ohat": 0.35, "crash": 2.0}[inst]
        n = int(length * 3 * rate)
        t = np.arange(n) / rate
        noise = _hp(_hp(rng.standard_normal(n)))
        return 0.18 * noise * np.exp(-t / length) * (1.6 if inst == "crash" else 1.0)
    freq = 440.0 * 2 ** ((note.pitch - 69) / 12)
    if inst == "bass":
        n = int((dur + 0.08) * rate)
        t = np.arange(n) / rate
        ph = 2 * np.pi * freq * t
        bright = np.exp(-t / 0.12)
        sig = sum(np.sin(k * ph) / k * (bright if k > 2 else 1.0) for k in range(1, 7))
        env = _env(n, rate, 0.004, 0.6) * np.clip((dur + 0.08 - t) / 0.08, 0, 1)
        return 0.45 * sig * env
    if inst == "keys":  # electric-piano-ish: bell partials that decay faster than the body
        n = int((dur + 0.4) * rate)
        t = np.arange(n) / rate
        ph = 2 * np.pi * freq * t
        sig = (np.sin(ph) * np.exp(-t / 0.9) + 0.35 * np.sin(2 * ph) * np.exp(-t / 0.3)
               + 0.12 * np.sin(7.0 * ph) * np.exp(-t / 0.05))
        release = np.clip((dur + 0.4 - t) / 0.4, 0, 1)
        return 0.16 * sig * _env(n, rate, 0.003, 2.0) * release
    if inst == "pad":  # detuned saws, slow attack and release
        n = int((dur + 0.8) * rate)
        t = np.arange(n) / rate
        sig = np.zeros(n)
        for det in (-0.004, 0.005):
            ph = 2 * np.pi * freq * (1 + det) * t + 40.0 * det * note.pitch
            sig += sum(np.sin(k * ph) / k for k in range(1, 5))
        env = np.minimum(1, t / 0.35) * np.clip((dur + 0.8 - t) / 0.8, 0, 1)
        return 0.065 * sig * env
    # lead: vibrato'd square-ish tone, a breathy attack
    n = int((dur + 0.12) * rate)
    t = np.arange(n) / rate
    vib = 1 + 0.004 * np.sin(2 * np.pi * 5.5 * t) * np.minimum(1, t / 0.3)
    ph = 2 * np.pi * freq * np.cumsum(vib) / rate
    sig = np.sin(ph) + 0.3 * np.sin(3 * ph) + 0.12 * np.sin(5 * ph) + 0.2 * np.sin(2 * ph)
    env = np.minimum(1, t / (0.06 if soft else 0.012)) * (0.75 + 0.25 * np.exp(-t / 0.2))
    env *= np.clip((dur + 0.12 - t) / 0.12, 0, 1)
    return 0.2 * sig * env


_PAN = {"kick": 0.0, "snare": 0.05, "tom": -0.3, "hat": 0.35, "ohat": 0.35, "crash": -0.4,
        "bass": 0.0, "keys": -0.35, "pad": 0.0, "lead": 0.2}  # fmt: skip
_PITCHED = ("bass", "keys", "pad", "lead")
_SEND = {"snare": 0.25, "tom": 0.2, "keys": 0.35, "pad": 0.5, "lead": 0.4, "crash": 0.2}


def _reverb(x: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Stereo room: FFT overlap-add convolution with decaying noise, one IR per channel."""
    n_ir = int(1.3 * rate)
    t = np.arange(n_ir) / rate
    irs = rng.standard_normal((2, n_ir)) * np.exp(-t / 0.35) * np.minimum(1, t / 0.01)
    irs /= np.sqrt((irs**2).sum(axis=1, keepdims=True))
    block = 1 << 17
    nfft = 1 << int(np.ceil(np.log2(block + n_ir)))
    irf = np.fft.rfft(irs, nfft)
    out = np.zeros((2, x.shape[1] + n_ir), dtype=np.float32)
    for s in range(0, x.shape[1], block):
        seg = x[:, s : s + block]
        y = np.fft.irfft(np.fft.rfft(seg, nfft) * irf, nfft)[:, : seg.shape[1] + n_ir]
        out[:, s : s + y.shape[1]] += y
    return out[:, : x.shape[1]]


def render(plan: SongPlan, seconds: float, seed: int = 0, sample_rate: int = 44100) -> Audio:
    """Render a composed plan to stereo float32 of exactly `seconds` (peak ≤ -1 dBFS)."""
    rng = np.random.default_rng(seed + 7919)
    n = int(round(seconds * sample_rate))
    pad = 3 * sample_rate
    dry = np.zeros((2, n + pad), dtype=np.float32)
    send = np.zeros((2, n + pad), dtype=np.float32)
    beats = plan.beat_times
    legato = plan.style == "legato"
    cache: dict[tuple[str, float, float], np.ndarray] = {}
    beat_axis = np.arange(len(beats), dtype=np.float64)
    for note in plan.notes:
        t0 = float(np.interp(note.beat, beat_axis, beats))
        if t0 >= seconds:
            continue
        t1 = float(np.interp(note.beat + note.length, beat_axis, beats))
        # humanise: drums tighter than melodic parts; legato playing looser still
        jitter = {"kick": 0.003, "snare": 0.004, "hat": 0.005, "ohat": 0.005}.get(
            note.instrument, 0.012 if legato else 0.008)
        t0 = max(0.0, t0 + rng.normal(0.0, jitter))
        dur = max(0.05, t1 - t0)
        if note.instrument in _PITCHED:  # same pitch and length → same waveform; reuse it
            dur = round(dur, 2) if dur < 1.0 else round(dur * 20) / 20
            key = (note.instrument, note.pitch, dur)
            if key not in cache:
                cache[key] = _voice(note, sample_rate, rng, dur, legato)
            y = cache[key] * note.velocity
        else:  # noise-based drums get fresh noise on every hit
            y = _voice(note, sample_rate, rng, dur, legato) * note.velocity
        i0 = int(t0 * sample_rate)
        m = min(len(y), dry.shape[1] - i0)
        if m <= 0:
            continue
        pan = _PAN[note.instrument] + rng.normal(0, 0.03)
        gains = np.array([[np.sqrt(0.5 * (1 - pan))], [np.sqrt(0.5 * (1 + pan))]], np.float32)
        yg = gains * y[:m].astype(np.float32)
        dry[:, i0 : i0 + m] += yg
        if note.instrument in _SEND:
            send[:, i0 : i0 + m] += np.float32(_SEND[note.instrument]) * yg
    mix = dry[:, :n]
    mix += 0.35 * _reverb(send, sample_rate, rng)[:, :n]
    peak = float(np.max(np.abs(mix))) if n else 0.0
    if peak > 0:
        rms = float(np.sqrt(np.mean(np.square(mix[:, ::7], dtype=np.float64))))
        mix *= np.float32(min(0.18 / max(rms, 1e-9), 1.6 / peak))  # ~ -15 dBFS RMS
        np.tanh(mix, out=mix)  # gentle bus saturation
        mix *= np.float32(0.89)  # peaks ≤ -1 dBFS
    fade = min(n, int(1.5 * sample_rate)) if seconds > 10 else 0
    if fade:
        mix[:, n - fade :] *= np.linspace(1, 0, fade, dtype=np.float32)
    return Audio(np.ascontiguousarray(mix, dtype=np.float32), sample_rate)


def synth_song(
    seconds: float = 180.0,
    bpm: float = 120.0,
    seed: int = 0,
    sample_rate: int = 44100,
    drift: float = 0.0,
    style: str = "band",
) -> Audio:
    """A deterministic stereo song of `seconds` at `bpm` ('band': drums, bass, keys, lead;
    'legato': pads, long bass notes and a soft lead, no drums). `drift` is the fraction by which
    the tempo wanders (0.03 = ±3 %)."""
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    plan = compose(seconds, bpm, seed, drift, style)
    return render(plan, seconds, seed, sample_rate)
