"""Signal helpers that both the local engine and the musical map use: the dynamic-programming
beat tracker (Ellis 2007) and a triangular mel filterbank. No Qt, numpy only."""

from __future__ import annotations

import numpy as np


def dp_beats(strength: np.ndarray, period: float, lo: int, hi: int,
             tightness: float) -> np.ndarray:
    """Frames maximising `strength` plus a log-interval regularity score around `period`
    (frames), with beat intervals between `lo` and `hi` frames; ends on the best-scoring frame
    within the last period. `strength` should already be normalised by its caller."""
    n = len(strength)
    if n == 0:
        return np.zeros(0, int)
    offsets = np.arange(lo, hi + 1)
    penalty = -tightness * np.log(offsets / period) ** 2
    score = strength.astype(np.float64).copy()
    back = np.full(n, -1, dtype=np.int64)
    for t in range(lo, n):
        prev = t - offsets
        ok = prev >= 0
        cand = score[prev[ok]] + penalty[ok]
        j = int(np.argmax(cand))
        if cand[j] > 0:
            score[t] = strength[t] + cand[j]
            back[t] = prev[ok][j]
    tail = max(0, n - int(round(period)))
    t = tail + int(np.argmax(score[tail:]))
    beats = []
    while t >= 0:
        beats.append(t)
        t = int(back[t])
    return np.asarray(beats[::-1], dtype=int)


def mel_filterbank(freqs: np.ndarray, n_mels: int, fmin: float,
                   fmax: float) -> tuple[np.ndarray, np.ndarray]:
    """(bank (len(freqs) × n_mels, area-normalised triangles), the n_mels + 2 band edges in
    Hz) on the mel scale from `fmin` to `fmax`."""
    def hz_to_mel(f: float) -> float:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    pts = np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2)
    hz = 700.0 * (10 ** (pts / 2595.0) - 1.0)
    bank = np.zeros((len(freqs), n_mels), np.float32)
    for i in range(n_mels):
        lo, c, hi = hz[i], hz[i + 1], hz[i + 2]
        up = (freqs - lo) / max(c - lo, 1e-9)
        down = (hi - freqs) / max(hi - c, 1e-9)
        bank[:, i] = np.maximum(0.0, np.minimum(up, down)) * (2.0 / max(hi - lo, 1e-9))
    return bank, hz
