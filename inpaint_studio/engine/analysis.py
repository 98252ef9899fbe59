"""Spectral analysis of a song for the engine: mono at ~22 kHz, STFT 2048/256, log-mel, chroma,
MFCC, RMS and an onset-strength envelope, computed in chunks so a 10-minute song stays small.

The same frame features are computed for short slices (`slice_features`) so the metrics can
judge a rendered version near its seams with exactly the measures used on the whole song."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import gcd

import numpy as np
from scipy.fft import dct, rfft
from scipy.signal import resample_poly

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.core.rhythm import mel_filterbank
from inpaint_studio.engine.window import Window, read

ANALYSIS_RATE = 22050
N_FFT = 2048
HOP = 256
N_MELS = 64
CHUNK_FRAMES = 2048  # STFT frames per chunk: ~16 MB of spectrum at a time


@dataclass
class Analysis:
    """Frame features of one song. Frame i is centred at `i * hop / rate` seconds."""

    rate: int
    hop: int
    mono: np.ndarray  # float32 mono at `rate`
    logmel: np.ndarray  # (frames, 64) dB
    chroma: np.ndarray  # (frames, 12), each frame sums to 1 (or 0 when silent)
    mfcc: np.ndarray  # (frames, 13), coefficients 1..13
    rms: np.ndarray  # (frames,)
    onset: np.ndarray  # (frames,) positive log-mel flux minus its local mean, >= 0

    @property
    def frames(self) -> int:
        return len(self.logmel)

    @property
    def frame_seconds(self) -> float:
        """Seconds from one frame to the next (the hop)."""
        return self.hop / self.rate

    @property
    def duration(self) -> float:
        """Seconds the frames span: the song's length as analysed."""
        return self.frames * self.frame_seconds

    def frame_at(self, t: float | np.ndarray) -> np.ndarray | int:
        """Nearest frame index of time(s) `t`, clipped to the song."""
        f = np.rint(np.asarray(t) * self.rate / self.hop).astype(int)
        return np.clip(f, 0, self.frames - 1)


def to_analysis_rate(audio: Audio) -> np.ndarray:
    """Mono float32 at ANALYSIS_RATE (or the song's own rate when it is lower).

    Mixed down and resampled in blocks into one preallocated array, so a 10-minute song never
    holds a full-rate mono copy (105 MB at 44.1 kHz) or a list of resampled blocks besides it."""
    if audio.sample_rate <= ANALYSIS_RATE * 1.1:
        return audio.mono()
    g = gcd(ANALYSIS_RATE, audio.sample_rate)
    up, down = ANALYSIS_RATE // g, audio.sample_rate // g
    n = audio.frames
    out = np.empty(-(-n * up // down), np.float32)
    block = 1 << 20
    pad = 4096  # filter support is far shorter than this; overlap hides block edges
    filled = 0
    for s in range(0, n, block):
        lo, hi = max(0, s - pad), min(n, s + block + pad)
        seg = audio.samples[:, lo:hi].mean(axis=0, dtype=np.float32)
        y = resample_poly(seg, up, down)
        a = (s - lo) * up // down
        b = a + (min(s + block, n) - s) * up // down
        part = y[a:b]
        out[filled : filled + len(part)] = part
        filled += len(part)
    return out[:filled]


def analysis_rate_of(audio: Audio) -> int:
    return audio.sample_rate if audio.sample_rate <= ANALYSIS_RATE * 1.1 else ANALYSIS_RATE


@lru_cache(maxsize=4)
def _filters(rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mel 1025×64, chroma 1025×12, hann window) for `rate`."""
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / rate)
    mel, _ = mel_filterbank(freqs, N_MELS, 30.0, min(11000.0, rate / 2 - 1))
    chroma = np.zeros((len(freqs), 12), np.float32)
    ok = (freqs >= 55.0) & (freqs <= 5000.0)
    pitch = 12.0 * np.log2(np.maximum(freqs[ok], 1.0) / 440.0) + 69.0
    pc = np.mod(np.rint(pitch), 12).astype(int)
    weight = np.exp(-0.5 * ((pitch - np.rint(pitch)) / 0.3) ** 2)  # favour bins near a semitone
    chroma[np.flatnonzero(ok), pc] = weight
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)
    return mel, chroma, window


def frame_features(
    mono: np.ndarray, rate: int, token: CancelToken = NEVER
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(logmel dB, chroma, mfcc, rms) per centred frame of `mono`, in chunks of frames."""
    mel_fb, chroma_fb, window = _filters(rate)
    mono = np.asarray(mono, np.float32)
    half = N_FFT // 2
    n_frames = 1 + max(0, len(mono) + 2 * half - N_FFT) // HOP
    logmel = np.empty((n_frames, N_MELS), np.float32)
    chroma = np.empty((n_frames, 12), np.float32)
    rms = np.empty(n_frames, np.float32)
    for s in range(0, n_frames, CHUNK_FRAMES):
        token.raise_if_cancelled()
        # the samples of frames s.. of the zero-padded signal, padded per chunk (a padded copy
        # of the whole song would be one more song-sized array)
        n = min(CHUNK_FRAMES, n_frames - s)
        a, b = s * HOP - half, (s + n - 1) * HOP - half + N_FFT
        part = mono[max(a, 0) : min(b, len(mono))]
        if a < 0 or b > len(mono):
            part = np.pad(part, (max(0, -a), max(0, b - len(mono))))
        frames_view = np.lib.stride_tricks.sliding_window_view(part, N_FFT)[::HOP]
        block = frames_view * window
        spec = rfft(block, axis=1, workers=2)  # float32 in → complex64 out
        power = spec.real * spec.real + spec.imag * spec.imag
        del spec
        n = len(block)
        logmel[s : s + n] = 10.0 * np.log10(power @ mel_fb + 1e-10)
        c = power @ chroma_fb  # energy per pitch class
        chroma[s : s + n] = c / np.maximum(c.sum(axis=1, keepdims=True), 1e-9)
        # Parseval: the frame's mean square from its spectrum (window included)
        rms[s : s + n] = np.sqrt((2.0 * power.sum(axis=1) - power[:, 0]) / (N_FFT * N_FFT))
    logmel = np.maximum(logmel, -100.0)  # a floor so digital silence does not dominate
    mfcc = dct(logmel, type=2, norm="ortho", axis=1)[:, 1:14].astype(np.float32)
    return logmel, chroma, mfcc, rms


def onset_strength(logmel: np.ndarray, rate: int, hop: int) -> np.ndarray:
    """Positive log-mel flux (mean over bands) minus its ~0.5 s moving mean, clipped at 0."""
    if len(logmel) < 2:
        return np.zeros(len(logmel), np.float32)
    flux = np.maximum(0.0, np.diff(logmel, axis=0)).mean(axis=1)
    flux = np.concatenate([[0.0], flux]).astype(np.float32)
    w = max(3, int(0.5 * rate / hop) | 1)
    w = min(w, len(flux) if len(flux) % 2 else len(flux) - 1)  # a short slice: no longer
    local = np.convolve(flux, np.ones(w) / w, mode="same")
    return np.maximum(0.0, flux - local).astype(np.float32)


def analyse(audio: Audio, token: CancelToken = NEVER) -> Analysis:
    """Analyse a whole song (mono, ~22 kHz)."""
    rate = analysis_rate_of(audio)
    mono = to_analysis_rate(audio)
    token.raise_if_cancelled()
    logmel, chroma, mfcc, rms = frame_features(mono, rate, token)
    onset = onset_strength(logmel, rate, HOP)
    return Analysis(rate, HOP, mono, logmel, chroma, mfcc, rms, onset)


def slice_features(
    audio: Audio | Window, t0: float, t1: float
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(logmel, onset, time of frame 0, seconds per frame) for `audio` between t0 and t1."""
    sr = audio.sample_rate
    a = max(0, int(t0 * sr))
    b = min(audio.frames, int(t1 * sr))
    part = Audio(np.ascontiguousarray(read(audio, a, b)), sr)
    rate = analysis_rate_of(part)
    mono = to_analysis_rate(part)
    logmel, _, _, _ = frame_features(mono, rate)
    onset = onset_strength(logmel, rate, HOP)
    return logmel, onset, a / sr, HOP / rate
