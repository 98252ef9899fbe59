"""WSOLA time stretching without a Python call per sample block: the same procedure and the same
output as `audiotsm.wsola` (1024-sample frames, 512-sample synthesis hop, ±512 samples of
tolerance, a periodic Hann synthesis window, each channel's shift chosen on its own), computed
with array operations.

WSOLA is sequential only in the shift it picks for each frame (the template is the natural
continuation of the previous frame as placed). Everything else is batched: the spectra of every
frame's search region are computed a block of frames at a time, each frame's cross-correlation
is one inverse FFT of a product (instead of a 1024 x 1025 direct correlation per channel), and
the overlap-add of all frames is two strided sums. audiotsm ran one pure-Python pass per frame
with a direct correlation per channel: on a 60-s region that was more than half the fill.
audiotsm is no longer a dependency of the app: only the test that checks this module against
it installs it (the `test` extra). This module follows audiotsm's procedure, so its notice
goes with it: audiotsm, Copyright (c) 2017 Muges, under the MIT License (the same terms as this
project's)."""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft  # pocketfft with less per-call overhead than numpy.fft

FRAME = 1024
HOP = FRAME // 2  # synthesis hop
TOLERANCE = FRAME // 2
_NFFT = 2048  # FRAME + 2 * TOLERANCE: every lag 0..2*TOLERANCE without wrap-around
_BLOCK = 256  # frames whose search spectra are computed at once (memory stays flat)


def _hann(n: int) -> np.ndarray:
    """The periodic Hann window (audiotsm's `hanning`)."""
    return 0.5 * (1 - np.cos(2 * np.pi * np.arange(n) / n))


def wsola(x: np.ndarray, speed: float) -> np.ndarray:
    """`x` (channels, frames) played `speed` times as fast, as audiotsm's
    `wsola(channels, speed).run(ArrayReader(x), ArrayWriter(channels))` writes it (float64;
    the correlations that pick each shift run in float32, which moves a pick only where two
    shifts match to within float32 rounding).

    The analysis hop is `int(HOP * speed)` as there, so the speed actually applied is that
    hop over HOP; the output holds every whole synthesis hop the input fills (its tail, less
    than a frame, is not played), as audiotsm's output does."""
    x = np.asarray(x)
    channels, n = x.shape
    ha = int(HOP * speed)
    if ha <= 0:
        raise ValueError("speed must be positive")
    lead = TOLERANCE + FRAME // 2  # audiotsm starts with this many zeros before the input
    span = FRAME + 2 * TOLERANCE + HOP  # what one analysis frame reads
    k_count = (lead + n - span) // ha + 1 if lead + n >= span else 0
    if k_count <= 1:
        return np.zeros((channels, 0))
    xp = np.zeros((channels, k_count * ha + span), np.float32)
    xp[:, lead : lead + n] = x[:, : xp.shape[1] - lead]
    # the shift of each frame (per channel), from 0..2*TOLERANCE within its analysis frame
    delta = np.zeros((k_count, channels), np.int64)
    rows = np.arange(channels)
    offs = np.arange(FRAME)
    prev = np.zeros(channels, np.int64)  # frame 0 takes shift 0, as audiotsm does
    for b0 in range(1, k_count, _BLOCK):
        b1 = min(k_count, b0 + _BLOCK)
        starts = np.arange(b0, b1) * ha
        idx = starts[:, None] + np.arange(_NFFT)[None, :]
        # (channels, frames, bins): the search regions' spectra, on both cores where free
        spec = sfft.rfft(xp[:, idx], axis=2, workers=2)
        tmpl = np.zeros((channels, _NFFT), np.float32)
        for k in range(b0, b1):
            # the template: what would follow the previous frame as placed (natural progression)
            t0 = (k - 1) * ha + HOP
            for c in rows:
                a = t0 + int(prev[c])
                tmpl[c, :FRAME] = xp[c, a : a + FRAME]
            # corr[d] = sum_n search[d + n] * tmpl[n], read off the conjugate product
            corr = sfft.irfft(spec[:, k - b0] * np.conj(sfft.rfft(tmpl, axis=1)), _NFFT, axis=1)
            prev = np.argmax(corr[:, : 2 * TOLERANCE + 1], axis=1)
            delta[k] = prev
    # overlap-add: synthesis frame k = xp[k*ha + delta_k : +FRAME] * hann, placed at k*HOP
    pos = np.arange(k_count)[:, None] * ha + delta  # (frames, channels)
    win = _hann(FRAME)
    out = np.zeros((channels, (k_count + 1) * HOP))
    for c in range(channels):
        frames = xp[c][pos[:, c, None] + offs[None, :]] * win  # (frames, FRAME)
        halves = frames.reshape(k_count, 2, HOP)
        o = out[c].reshape(k_count + 1, HOP)
        o[:-1] += halves[:, 0]
        o[1:] += halves[:, 1]
    # audiotsm divides each finished hop by the summed windows (1 once two frames overlap; the
    # first hop, where one does, is dropped with its skipped half frame)
    norm = win[:HOP] + win[HOP:]
    out[:, HOP : k_count * HOP] /= np.tile(norm, k_count - 1)
    return out[:, FRAME // 2 : k_count * HOP]
