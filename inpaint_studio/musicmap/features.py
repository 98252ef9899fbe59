"""Frame features for the musical map, from the mono mix: a log-mel onset envelope (all bands and
the low bands, 11.6 ms frames at 22.05 kHz), a whitened semitone spectrum folded into chroma and
bass chroma (46 ms frames at 11.025 kHz with a 4096-point window, so bass semitones are resolved),
timbre (MFCC from the log-mel frames) and a loudness curve (K-weighted, 400 ms windows)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.fft import dct, rfft
from scipy.signal import firwin, freqz, resample_poly

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.bs1770 import biquad
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.core.rhythm import mel_filterbank

HOP = 256
N_FFT = 1024
N_MELS = 64
LOW_MEL_HZ = 180.0  # bands below this make the low (kick/bass) onset envelope
CHROMA_FFT = 4096
CHROMA_HOP = 512
MIDI_LO, MIDI_HI = 33, 96  # A1 .. C7: the semitone spectrum's range
BASS_HI = 55  # semitones below G3 make the bass chroma
HARMONIC_3 = 0.3
HARMONIC_5 = 0.3
LOUD_HOP_S = 0.1
LOUD_WIN_S = 0.4
BLOCK = 4096  # frames per FFT block: bounded memory for long songs


@dataclass
class Features:
    duration: float
    onset: np.ndarray  # (n,) positive log-mel flux, all bands
    onset_low: np.ndarray  # (n,) the same over the low bands
    onset_dt: float  # seconds per onset frame
    timbre: np.ndarray  # (n, 13) MFCC 1..13 per onset frame
    rms: np.ndarray  # (n,) frame RMS
    semis: np.ndarray  # (m, MIDI_HI-MIDI_LO) whitened log semitone spectrum
    chroma: np.ndarray  # (m, 12) pitch class 0 = C
    bass: np.ndarray  # (m, 12) pitch classes of the bass register
    chroma_dt: float
    loudness: np.ndarray  # (k,) LUFS-like momentary loudness of the mono mix, every LOUD_HOP_S


_HALF_BAND = firwin(33, 0.45).astype(np.float32)


def halve(x: np.ndarray) -> np.ndarray:
    """2:1 decimation behind a short low-pass (0.45 of the new Nyquist band edge)."""
    return resample_poly(x.astype(np.float32, copy=False), 1, 2, window=_HALF_BAND)


def analysis_rate(rate: int) -> int:
    """The rate features are computed at: half of a 32 kHz+ song's rate, else its own."""
    return rate // 2 if rate >= 32000 and rate % 2 == 0 else rate


@lru_cache(maxsize=4)
def _mel_bank(rate: int) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """(mel bank, number of low bands, window, K-weighting power per bin) at `rate`."""
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / rate)
    bank, hz = mel_filterbank(freqs, N_MELS, 30.0, min(10000.0, 0.45 * rate))
    n_low = int(np.sum(hz[1:-1] < LOW_MEL_HZ))
    k = np.ones(len(freqs))
    for kind, f0, q, g in (("high_shelf", 1681.97, 0.7072, 4.0),
                           ("high_pass", 38.13, 0.5003, 0.0)):
        b, a = biquad(kind, f0, q, g, rate)
        k *= np.abs(freqz(b, a, worN=freqs, fs=rate)[1]) ** 2
    return bank, max(n_low, 2), np.hanning(N_FFT + 1)[:-1].astype(np.float32), \
        k.astype(np.float32)


@lru_cache(maxsize=4)
def _semitone_bank(rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(bins × semitones) triangular weights on the log-frequency axis, and the window."""
    freqs = np.fft.rfftfreq(CHROMA_FFT, 1.0 / rate)
    pitch = 12.0 * np.log2(np.maximum(freqs, 1e-3) / 440.0) + 69.0
    semis = np.arange(MIDI_LO, MIDI_HI)
    w = np.maximum(0.0, 1.0 - np.abs(pitch[:, None] - semis[None, :]) / 0.6)
    w[freqs < 40.0] = 0.0
    return w.astype(np.float32), np.hanning(CHROMA_FFT + 1)[:-1].astype(np.float32)


def _frames(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    padded = np.pad(x, (n_fft // 2, n_fft // 2))
    return np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]


def _power_blocks(x: np.ndarray, n_fft: int, hop: int, window: np.ndarray, token: CancelToken):
    view = _frames(x, n_fft, hop)
    for s in range(0, len(view), BLOCK):
        token.raise_if_cancelled()
        spec = rfft(view[s : s + BLOCK] * window, axis=1)
        yield s, (spec.real * spec.real + spec.imag * spec.imag)




def loudness_curve(kpower: np.ndarray, dt: float) -> np.ndarray:
    """Momentary loudness (LUFS-like, of the mono mix) at 0, LOUD_HOP_S, 2·LOUD_HOP_S … s, each
    over the LOUD_WIN_S that starts there, from the K-weighted mean square of each STFT frame
    (Parseval). Exactly LOUD_HOP_S apart at any sample rate."""
    c = np.concatenate([[0.0], np.cumsum(kpower, dtype=np.float64)])
    n = len(kpower)
    count = int(np.floor((n - 1) * dt / LOUD_HOP_S + 1e-9)) + 1 if n else 0
    starts = np.minimum(np.rint(np.arange(count) * LOUD_HOP_S / dt).astype(int), max(n - 1, 0))
    ends = np.minimum(starts + max(1, int(round(LOUD_WIN_S / dt))), n)
    ms = (c[ends] - c[starts]) / np.maximum(ends - starts, 1)
    return (-0.691 + 10 * np.log10(np.maximum(ms, 1e-10))).astype(np.float32)


def extract(audio: Audio, token: CancelToken = NEVER) -> Features:
    rate = analysis_rate(audio.sample_rate)
    mono = audio.mono()
    if rate != audio.sample_rate:
        mono = halve(mono)
    token.raise_if_cancelled()
    bank, n_low, window, kweight = _mel_bank(rate)
    n = 1 + len(mono) // HOP
    logmel = np.empty((n, N_MELS), np.float32)
    rms = np.empty(n, np.float32)
    kpower = np.empty(n, np.float32)
    norm = 2.0 / (N_FFT * N_FFT * 0.375)  # one-sided power → mean square (Hann window)
    for s, power in _power_blocks(mono, N_FFT, HOP, window, token):
        m = len(power)
        logmel[s : s + m] = 10.0 * np.log10(power @ bank + 1e-10)
        rms[s : s + m] = np.sqrt(power.sum(axis=1) * norm)
        kpower[s : s + m] = (power @ kweight) * norm
    logmel = np.maximum(logmel, logmel.max() - 80.0)
    flux = np.maximum(0.0, np.diff(logmel, axis=0, prepend=logmel[:1]))
    onset = flux.mean(axis=1)
    onset_low = flux[:, :n_low].mean(axis=1)
    timbre = dct(logmel, type=2, norm="ortho", axis=1)[:, 1:14].astype(np.float32)

    crate = rate // 2 if rate >= 16000 else rate
    low = halve(mono) if crate != rate else mono
    sbank, cwin = _semitone_bank(crate)
    m = 1 + len(low) // CHROMA_HOP
    semis = np.empty((m, MIDI_HI - MIDI_LO), np.float32)
    for s, power in _power_blocks(low, CHROMA_FFT, CHROMA_HOP, cwin, token):
        semis[s : s + len(power)] = np.sqrt(power) @ sbank
    semis = np.log1p(semis * (1000.0 / max(float(semis.max()), 1e-9)))
    # whiten: subtract each frame's local spectral floor so drums and noise do not colour chroma
    k = 7
    padded = np.pad(semis, ((0, 0), (k, k)), mode="edge")
    floor = _moving_mean_rows(padded, 2 * k + 1)
    semis = np.maximum(0.0, semis - floor).astype(np.float32)
    # take part of each note's 3rd and 5th harmonics (a twelfth and two octaves + a third up)
    # off those semitones, so a bass note does not read as its own fifth and major third
    clean = semis.copy()
    clean[:, 28:] -= HARMONIC_5 * semis[:, :-28]
    clean[:, 19:] -= HARMONIC_3 * semis[:, :-19]
    semis = np.maximum(clean, 0.0)
    pcs = (np.arange(MIDI_LO, MIDI_HI) % 12)
    fold = np.zeros((MIDI_HI - MIDI_LO, 12), np.float32)
    fold[np.arange(len(pcs)), pcs] = 1.0
    chroma = semis @ fold
    bass_fold = fold * (np.arange(MIDI_LO, MIDI_HI) < BASS_HI)[:, None]
    bass = semis @ bass_fold
    loud = loudness_curve(kpower, HOP / rate)
    return Features(len(mono) / rate, onset.astype(np.float32), onset_low.astype(np.float32),
                    HOP / rate, timbre, rms, semis, chroma, bass, CHROMA_HOP / crate, loud)


def _moving_mean_rows(padded: np.ndarray, w: int) -> np.ndarray:
    c = np.cumsum(padded, axis=1, dtype=np.float64)
    c = np.concatenate([np.zeros((len(c), 1)), c], axis=1)
    return ((c[:, w:] - c[:, :-w]) / w).astype(np.float32)
