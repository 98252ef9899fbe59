"""Rendering: the notes played by a General MIDI SoundFont (the FluidSynth program, apt
`fluidsynth`, run as a separate process like ffmpeg: it is LGPL and never linked or imported),
a little reverb, fades at the region's edges, the part's level set by BS.1770 loudness relative
to the song (the plan's `level_db`), the song underneath as the plan says (kept, ducked, only
its percussive or harmonic part, or nothing), no clipping, and the result spliced into the
song with `core.splice`. `SynthMissing` names the apt package when the program is missing.

The SoundFont: `$INPAINT_STUDIO_SOUNDFONT`, else the usual Debian paths (`fluid-soundfont-gm`
installs /usr/share/sounds/sf2/FluidR3_GM.sf2); `SoundFontMissing` names the package."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.bs1770 import integrated_loudness
from inpaint_studio.core.cancel import NEVER, Cancelled, CancelToken
from inpaint_studio.core.splice import splice
from inpaint_studio.player.compose import DRUM_CHANNEL, Note
from inpaint_studio.player.plan import Plan

ENV = "INPAINT_STUDIO_SOUNDFONT"
SEARCH = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/usr/share/sounds/sf2/MuseScore_General.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
)
APT_PACKAGE = "fluid-soundfont-gm"
PEAK = 0.95  # no sample of the result above this
DUCK_DB = -8.0
FADE_IN_S = 0.02
FADE_OUT_S = 0.35
REVERB_WET = 0.18
REVERB_RT60_S = 1.3
SEAM_CROSSFADE_S = 0.06  # where the song underneath changes (a bed that is not the song)


class SoundFontMissing(RuntimeError):
    """No General MIDI SoundFont on this machine; the message says how to install one."""


def find_soundfont() -> Path:
    """The SoundFont to render with (see the module doc)."""
    env = os.environ.get(ENV, "").strip()
    if env:
        if Path(env).is_file():
            return Path(env)
        raise SoundFontMissing(f"{ENV} points at {env}, which is not a file.")
    for p in SEARCH:
        if Path(p).is_file():
            return Path(p)
    raise SoundFontMissing(
        "No General MIDI SoundFont found for the local session player. Install one with "
        f"`sudo apt-get install {APT_PACKAGE}` (FluidR3 GM, MIT licence), or set {ENV} to an "
        ".sf2/.sf3 file.")


FLUIDSYNTH = "fluidsynth"  # the program's name on PATH
FLUIDSYNTH_APT = "fluidsynth"
FLUIDSYNTH_GAIN = 0.5  # fluidsynth's -g (its default 0.2 is quiet; the level is set after)
TICKS_PER_S = 1000  # the temporary MIDI file: 500 ticks per quarter at 500000 µs per quarter
_PPQ = 500
_TEMPO = 500000
POLL_S = 0.05  # how often a running render checks its CancelToken


class SynthMissing(RuntimeError):
    """The FluidSynth program is not installed; the message says how to install it."""


class SynthFailed(RuntimeError):
    """FluidSynth ran but did not render; the message carries its stderr."""


def find_fluidsynth() -> str:
    """The path of the `fluidsynth` program, or `SynthMissing` naming the apt package."""
    path = shutil.which(FLUIDSYNTH)
    if not path:
        raise SynthMissing(
            f"The FluidSynth program ({FLUIDSYNTH}) is not installed; the local session player "
            f"renders MIDI with it. Install it with `sudo apt-get install {FLUIDSYNTH_APT} "
            f"{APT_PACKAGE}` (the program and its General MIDI SoundFont).")
    return path


def _render_midi(notes: list[Note], start: float, end: float) -> bytes:
    """The notes as a type-0 MIDI file at a constant tempo, 1 tick = 1 ms from `start`
    (notes before `start` begin at tick 0), programs per channel (bank 0; the drum channel is
    FluidSynth's percussion channel, bank 128), lasting at least until `end`."""
    import mido

    def tick(t: float) -> int:
        return max(0, int(round((t - start) * TICKS_PER_S)))

    last = tick(end)
    events: list[tuple[int, int, mido.Message]] = []
    programs: dict[int, int] = {}
    for n in notes:
        programs.setdefault(n.channel, n.program)
    for ch, prog in sorted(programs.items()):
        drum = ch == DRUM_CHANNEL
        events.append((0, 0, mido.Message("control_change", channel=ch, control=0, value=0)))
        events.append((0, 1, mido.Message("program_change", channel=ch,
                                          program=0 if drum else prog)))
    for n in notes:
        a, b = tick(n.time), tick(n.time + n.duration)
        if a >= last:
            continue
        b = min(max(b, a + 1), last)
        # note-offs sort before note-ons at the same tick: a repeated pitch is not cut
        events.append((a, 3, mido.Message("note_on", channel=n.channel, note=n.pitch,
                                          velocity=max(1, min(127, int(n.velocity))))))
        events.append((b, 2, mido.Message("note_off", channel=n.channel, note=n.pitch,
                                          velocity=0)))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=_TEMPO, time=0))
    now = 0
    for t, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=t - now))
        now = t
    track.append(mido.MetaMessage("end_of_track", time=max(0, last - now)))
    mid = mido.MidiFile(type=0, ticks_per_beat=_PPQ)
    mid.tracks.append(track)
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


def synthesize(notes: list[Note], rate: int, start: float, end: float,
               soundfont: Path | None = None, token: CancelToken = NEVER) -> np.ndarray:
    """The notes played from `start` to `end` (seconds on the song's timeline) as stereo
    float32 (2, frames), unscaled, every render starting from silence. Timing to 1 ms (the
    temporary MIDI file's tick) and FluidSynth's 64-frame block.

    FluidSynth (LGPL) runs as a separate program, like ffmpeg: never linked or imported. It
    renders offline (-F, faster than real time) to raw float32 stereo, its own reverb and
    chorus off (`reverb` below adds the room)."""
    path = Path(soundfont or find_soundfont())
    program = find_fluidsynth()
    frames = max(1, int(round((end - start) * rate)))
    token.raise_if_cancelled()
    with tempfile.TemporaryDirectory(prefix="inpaint-player-") as tmp:
        mid, raw, err = Path(tmp, "part.mid"), Path(tmp, "part.raw"), Path(tmp, "stderr.txt")
        mid.write_bytes(_render_midi(notes, start, end))
        cmd = [program, "-n", "-i", "-q", "-R", "0", "-C", "0", "-g", str(FLUIDSYNTH_GAIN),
               "-r", str(int(rate)), "-T", "raw", "-O", "float", "-F", str(raw),
               str(path), str(mid)]
        with open(err, "wb") as err_file:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err_file,
                                    stderr=err_file)
            try:
                while True:
                    try:
                        proc.wait(timeout=POLL_S)
                        break
                    except subprocess.TimeoutExpired:
                        if token.cancelled:
                            raise Cancelled() from None
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        text = err.read_text("utf-8", "replace").strip()
        # FluidSynth exits 0 after skipping a file it cannot load (it then renders silence);
        # with -q it writes nothing else, so an error line is a failed render
        failed = "fluidsynth: error" in text or "not a SoundFont or MIDI file" in text
        if proc.returncode != 0 or failed or not raw.is_file():
            text = text[-2000:]
            raise SynthFailed(f"FluidSynth could not render the part (exit code "
                              f"{proc.returncode}) with {path}: {text or 'no message'}")
        data = np.fromfile(raw, dtype="<f4")
    data = data[: len(data) // 2 * 2].reshape(-1, 2)[:frames]
    if len(data) < frames:
        data = np.pad(data, ((0, frames - len(data)), (0, 0)))
    return np.ascontiguousarray(data.T, dtype=np.float32)


def reverb(x: np.ndarray, rate: int, wet: float = REVERB_WET,
           rt60: float = REVERB_RT60_S) -> np.ndarray:
    """A small room: convolution with decaying noise (a fixed seed, decorrelated per channel),
    high frequencies dying faster; dry + wet with equal loudness for the dry part."""
    from scipy.signal import fftconvolve, lfilter

    n = int(rt60 * rate)
    t = np.arange(n) / rate
    rng = np.random.default_rng(1234)
    ir = rng.standard_normal((x.shape[0], n)) * np.exp(-6.91 * t / rt60)
    ir = lfilter([0.35], [1, -0.65], ir, axis=1)  # darker tail
    ir[:, : int(0.012 * rate)] = 0.0  # pre-delay
    ir /= np.sqrt(np.sum(ir ** 2, axis=1, keepdims=True))
    wet_sig = fftconvolve(x, ir, axes=1)[:, : x.shape[1]]
    return ((1 - wet) * x + wet * wet_sig).astype(np.float32)


def fades(x: np.ndarray, rate: int, fade_in: float = FADE_IN_S,
          fade_out: float = FADE_OUT_S) -> np.ndarray:
    """Raised-cosine fades at both ends (the phrase edges of the region)."""
    x = x.copy()
    a = min(int(fade_in * rate), x.shape[1] // 2)
    b = min(int(fade_out * rate), x.shape[1] // 2)
    if a:
        x[:, :a] *= (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, a)))[None, :]
    if b:
        x[:, -b:] *= (0.5 + 0.5 * np.cos(np.linspace(0, np.pi, b)))[None, :]
    return x


def hpss(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(harmonic, percussive) by median filtering the spectrogram across time and across
    frequency (Fitzgerald 2010), soft masks; each the length of `x`."""
    from scipy.ndimage import median_filter
    from scipy.signal import istft, stft

    nper = 2048
    _, _, z = stft(x, fs=rate, nperseg=nper, noverlap=nper * 3 // 4, axis=-1)
    mag = np.abs(z)
    frames_kernel = max(3, int(0.2 * rate / (nper // 4)) | 1)
    bins_kernel = max(3, int(500 / (rate / nper)) | 1)
    h = median_filter(mag, size=(1, 1, frames_kernel))
    p = median_filter(mag, size=(1, bins_kernel, 1))
    mask_h = h ** 2 / np.maximum(h ** 2 + p ** 2, 1e-12)
    out = []
    for mask in (mask_h, 1 - mask_h):
        _, y = istft(z * mask, fs=rate, nperseg=nper, noverlap=nper * 3 // 4)
        y = y[:, : x.shape[1]]
        if y.shape[1] < x.shape[1]:
            y = np.pad(y, ((0, 0), (0, x.shape[1] - y.shape[1])))
        out.append(y.astype(np.float32))
    return out[0], out[1]


def bed_of(region: np.ndarray, rate: int, bed: str) -> np.ndarray:
    """What is left of the song in the region."""
    if bed == "kept":
        return region.copy()
    if bed == "none":
        return np.zeros_like(region)
    if bed == "ducked":  # a 60-ms ramp down and up: continuous with the song at both seams
        g = np.full(region.shape[1], 10 ** (DUCK_DB / 20), np.float32)
        r = min(int(0.06 * rate), region.shape[1] // 2)
        ramp = np.linspace(1.0, 10 ** (DUCK_DB / 20), r, dtype=np.float32)
        g[:r], g[len(g) - r :] = ramp, ramp[::-1]
        return region * g[None, :]
    harmonic, percussive = hpss(region, rate)
    return percussive if bed == "percussive-only" else harmonic


def limiter_gain(x: np.ndarray, rate: int, peak: float = PEAK) -> np.ndarray:
    """A look-ahead peak limiter's gain per frame: smooth, 1 where |x| stays under `peak`,
    and never letting |x × gain| exceed it."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    level = np.max(np.abs(x), axis=0)
    if level.max(initial=0.0) <= peak:
        return np.ones(x.shape[1], np.float32)
    g = np.minimum(1.0, peak / np.maximum(level, 1e-9))
    w = max(3, int(0.005 * rate))
    g = uniform_filter1d(minimum_filter1d(g, 2 * w + 1), w)
    g = np.minimum(g, peak / np.maximum(level, 1e-9))  # the smoothing may not undershoot
    return np.minimum(g, 1.0).astype(np.float32)


@dataclass
class Rendered:
    """A rendered version: the whole song with the region replaced, the part alone as mixed
    (the region's length), and the level figures (LUFS; `relative_db` = part − song; `peak`
    over the region and its seams)."""

    audio: Audio
    part: np.ndarray
    bed: np.ndarray
    song_lufs: float
    part_lufs: float
    relative_db: float
    gain_db: float
    peak: float


def render(song: Audio, plan: Plan, notes: list[Note], start: float, end: float,
           soundfont: Path | None = None, token: CancelToken = NEVER) -> Rendered:
    """The notes rendered, mixed over the plan's bed at the plan's level and spliced into
    `song` at [start, end]."""
    rate = song.sample_rate
    s0, s1 = int(round(start * rate)), int(round(end * rate))
    region = song.samples[:, s0:s1]
    dry = synthesize(notes, rate, start, end, soundfont, token)
    part = fades(reverb(dry, rate), rate)
    if song.channels == 1:
        part = part.mean(axis=0, keepdims=True)
    elif song.channels > 2:
        part = np.concatenate([part, np.repeat(part[-1:], song.channels - 2, axis=0)])
    song_lufs = integrated_loudness(region, rate)
    raw_lufs = integrated_loudness(part, rate)
    if not np.isfinite(song_lufs):
        song_lufs = -20.0  # a silent region: place the part at a moderate level
    gain_db = 0.0 if not np.isfinite(raw_lufs) else song_lufs + plan.level_db - raw_lufs
    part = (part * 10 ** (gain_db / 20)).astype(np.float32)
    bed = bed_of(region, rate, plan.bed).astype(np.float32)
    # the limiter acts only above the song's own peak (a mastered song may reach 0.99): where
    # the part fades out at the seams the mix is the bed, untouched
    ceiling = min(0.999, max(PEAK, float(np.max(np.abs(bed), initial=0.0))))
    g = limiter_gain(bed + part, rate, ceiling)[None, :]
    part, bed = part * g, bed * g
    mix = bed + part
    version = song.samples.copy()
    version[:, s0:s1] = mix
    continuous = plan.bed in ("kept", "ducked")
    out = splice(song, Audio(version, rate), start, end,
                 crossfade_s=0.0 if continuous else SEAM_CROSSFADE_S)
    part_lufs = integrated_loudness(part, rate)
    span = out.samples[:, max(0, s0 - rate // 10) : s1 + rate // 10]  # the region and seams
    return Rendered(out, part, bed, song_lufs, part_lufs, part_lufs - song_lufs, gain_db,
                    float(np.max(np.abs(span), initial=0.0)))
