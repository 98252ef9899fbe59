"""Alignment of a returned version to the original's timeline, and detection of what changed.

A version that came back from a server (often through an MP3 round trip) may start earlier or
later than the original: encoder delay, padding, a trimmed lead-in. `align` finds that offset to
the sample, coarse-to-fine: a cross-correlation of the block-decimated signals over the whole song
(one FFT), then full-rate cross-correlation of a few short windows around the coarse lag. The
region that was replaced is left out of both, since there the two do not match by design.
`changed_spans` then says where an aligned version differs from the original."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inpaint_studio.core.audio import Audio

_COARSE_BLOCK = 64  # decimation of the coarse search: 689 Hz at 44.1 kHz
_FINE_WINDOW = 8192  # samples per full-rate refinement window
_FINE_WINDOWS = 8
_REGION_MARGIN_S = 0.5  # crossfades at the seams reach a little outside the region


@dataclass(frozen=True)
class Alignment:
    """`version[i + offset]` plays what `reference[i]` plays (positive: the version starts late).

    `confidence` is the normalised correlation (0..1) of the two at that offset outside the
    region; below ~0.5 the version probably does not contain the original's material."""

    offset: int
    sample_rate: int
    confidence: float

    @property
    def seconds(self) -> float:
        return self.offset / self.sample_rate


def _at_rate(audio: Audio, rate: int) -> Audio:
    """`audio` resampled to `rate` (the same object when it already is)."""
    if audio.sample_rate == rate:
        return audio
    from scipy import signal  # only to resample: scipy.signal is slow to load
    g = np.gcd(audio.sample_rate, rate)
    out = signal.resample_poly(audio.samples, rate // g, audio.sample_rate // g, axis=1)
    return Audio(np.ascontiguousarray(out, dtype=np.float32), rate)


def _fast_length(n: int) -> int:
    """The smallest 2^a·3^b·5^c ≥ n: an FFT length pocketfft does quickly."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def _convolve(a: np.ndarray, b: np.ndarray, mode: str) -> np.ndarray:
    """`np.convolve(a, b, mode)` ("full" or "valid") through one real FFT: numpy only, so the
    first alignment does not wait for scipy.signal to load (≈ 1.6 s)."""
    full = a.size + b.size - 1
    n = _fast_length(full)
    out = np.fft.irfft(np.fft.rfft(a, n) * np.fft.rfft(b, n), n)[:full]
    if mode == "valid":
        lo = min(a.size, b.size) - 1
        return out[lo : full - lo]
    return out


def _decimated(samples: np.ndarray, block: int) -> np.ndarray:
    """The channel sum averaged over blocks of `block` samples, zero-mean float32.

    A box filter is a crude low-pass, but the bass and low mids that survive it are what
    matters for finding a lag, and it reads each sample once with no full-length temporary."""
    nb = samples.shape[1] // block
    view = samples[:, : nb * block].reshape(samples.shape[0], nb, block)
    out = np.einsum("cij->i", view)  # about twice as fast as .sum(axis=(0, 2))
    return out - out.mean() if out.size else out


def _region_frames(region: tuple[float, float] | None, rate: int, n: int) -> tuple[int, int]:
    if region is None:
        return (0, 0)
    a = max(0, int((min(region) - _REGION_MARGIN_S) * rate))
    b = min(n, int((max(region) + _REGION_MARGIN_S) * rate))
    return (a, max(a, b))


def _coarse_lag(ref: np.ndarray, ver: np.ndarray, mask: tuple[int, int],
                max_lag: int | None) -> int:
    """Lag (in blocks) maximising the cross-correlation of the two decimated signals."""
    ref = ref.copy()
    ref[mask[0] : mask[1]] = 0.0
    # corr[k] = sum_n ref[n] * ver[n + k - (len(ref) - 1)]
    corr = _convolve(ver, ref[::-1], "full")
    lags = np.arange(corr.size) - (ref.size - 1)
    if max_lag is not None:
        keep = np.abs(lags) <= max_lag
        corr, lags = corr[keep], lags[keep]
    return int(lags[int(np.argmax(corr))])


def _fine_positions(ref_mono: np.ndarray, mask: tuple[int, int], lag: int, n_ver: int,
                    reach: int) -> list[int]:
    """Start frames of the loudest refinement windows, spread over the song, outside the mask."""
    w = _FINE_WINDOW
    n = ref_mono.size
    lo, hi = max(0, reach - lag), min(n - w, n_ver - w - lag - reach)
    starts = np.arange(lo, hi, w // 2)
    starts = starts[(starts + w <= mask[0]) | (starts >= mask[1])]
    if starts.size == 0:
        return []
    # One candidate per stretch of the song, the loudest in it, so windows are spread out.
    chunks = np.array_split(starts, min(_FINE_WINDOWS, starts.size))
    picked = []
    for chunk in chunks:
        energies = [float(np.dot(ref_mono[s : s + w], ref_mono[s : s + w])) for s in chunk[::4]]
        picked.append(int(chunk[::4][int(np.argmax(energies))]))
    return picked


def _mono(audio: Audio, start: int, stop: int) -> np.ndarray:
    seg = audio.samples[:, max(0, start) : max(0, stop)]
    out = seg.mean(axis=0, dtype=np.float64)
    if start < 0:  # pad the part before the start of the audio with silence
        out = np.concatenate([np.zeros(min(-start, stop - start)), out])
    if out.size < stop - start:
        out = np.concatenate([out, np.zeros(stop - start - out.size)])
    return out


def align(reference: Audio, version: Audio, region: tuple[float, float] | None = None,
          *, max_offset_s: float | None = None) -> Alignment:
    """Find the sample offset of `version` on `reference`'s timeline (see `Alignment`).

    `region` (seconds on the reference) is excluded from the match; `max_offset_s` bounds the
    search. Exact to the sample for versions that share the original's material outside the
    region, also after lossy coding."""
    rate = reference.sample_rate
    version = _at_rate(version, rate)
    block = _COARSE_BLOCK
    mask = _region_frames(region, rate, reference.frames)
    env_ref = _decimated(reference.samples, block)
    env_ver = _decimated(version.samples, block)
    if env_ref.size < 4 or env_ver.size < 4:
        return Alignment(0, rate, 0.0)
    max_lag = None if max_offset_s is None else int(max_offset_s * rate / block) + 1
    coarse = _coarse_lag(env_ref, env_ver, (mask[0] // block, -(-mask[1] // block)), max_lag)
    lag0 = coarse * block
    reach = 4 * block  # the coarse lag is good to a block or two; search well past that
    best_corr: np.ndarray | None = None
    windows: list[tuple[np.ndarray, np.ndarray]] = []
    # Window energies rank the same on one channel within a few dB; no full-length mono mix.
    positions = _fine_positions(reference.samples[0], mask, lag0, version.frames, reach)
    for s in positions:
        r = _mono(reference, s, s + _FINE_WINDOW)
        v = _mono(version, s + lag0 - reach, s + lag0 + _FINE_WINDOW + reach)
        c = _convolve(v, r[::-1], "valid")  # length 2*reach + 1
        best_corr = c if best_corr is None else best_corr + c
        windows.append((r, v))
    if best_corr is None:
        return Alignment(lag0, rate, 0.0)
    k = int(np.argmax(best_corr))
    offset = lag0 - reach + k
    num = den_r = den_v = 0.0
    for r, v in windows:
        seg = v[k : k + _FINE_WINDOW]
        num += float(np.dot(r, seg))
        den_r += float(np.dot(r, r))
        den_v += float(np.dot(seg, seg))
    confidence = max(0.0, num / np.sqrt(den_r * den_v)) if den_r > 0 and den_v > 0 else 0.0
    return Alignment(int(offset), rate, float(min(1.0, confidence)))


def apply_alignment(version: Audio, alignment: Alignment, length: int,
                    channels: int | None = None) -> Audio:
    """`version` moved onto the reference timeline: `length` frames at the reference rate,
    silence where the version has no material; `channels` (optional) up/down-mixes to match."""
    version = _at_rate(version, alignment.sample_rate)
    src = version.samples
    if channels is not None and channels != src.shape[0]:
        mixed = src.mean(axis=0, dtype=np.float32)[None, :]
        src = np.repeat(mixed, channels, axis=0) if channels > 1 else mixed
    out = np.zeros((src.shape[0], length), dtype=np.float32)
    off = alignment.offset
    dst_a = max(0, -off)
    src_a = max(0, off)
    n = min(length - dst_a, src.shape[1] - src_a)
    if n > 0:
        out[:, dst_a : dst_a + n] = src[:, src_a : src_a + n]
    return Audio(out, alignment.sample_rate)


def changed_spans(reference: Audio, aligned_version: Audio, *, hop_s: float = 0.01,
                  frame_hops: int = 4, threshold: float = 0.5, min_span_s: float = 0.25,
                  merge_gap_s: float = 0.3) -> list[tuple[float, float]]:
    """Spans (seconds) where `aligned_version` differs from `reference` in more than coding noise.

    Per short frame, the share of the version not explained by the original at any gain
    (1 − normalised correlation²) or a level change of more than 10 dB; frames quieter than
    −50 dB of the song's loud frames are not judged. Nearby spans are merged, blips dropped."""
    rate = reference.sample_rate
    if aligned_version.sample_rate != rate:
        aligned_version = _at_rate(aligned_version, rate)
    hop = max(1, int(hop_s * rate))
    ch = min(reference.channels, aligned_version.channels)
    n = min(reference.frames, aligned_version.frames) // hop
    if n < frame_hops:
        return []
    r = reference.samples[:ch, : n * hop].reshape(ch, n, hop)
    v = aligned_version.samples[:ch, : n * hop].reshape(ch, n, hop)
    rr = np.einsum("cij,cij->i", r, r, dtype=np.float64)
    vv = np.einsum("cij,cij->i", v, v, dtype=np.float64)
    rv = np.einsum("cij,cij->i", r, v, dtype=np.float64)
    kernel = np.ones(frame_hops)
    rr, vv, rv = (np.convolve(x, kernel, mode="same") for x in (rr, vv, rv))
    loud = float(np.percentile(np.maximum(rr, vv), 90))
    floor = max(loud * 1e-5, 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        unexplained = 1.0 - rv * rv / np.maximum(rr * vv, floor * floor)
        level = np.abs(np.log10((vv + floor) / (rr + floor))) > 1.0
    changed = (unexplained > threshold) | level
    changed &= np.maximum(rr, vv) > floor
    # A median over ~9 hops removes short blips from transients the coder smeared (of 0/1
    # values: a majority of the 9, the edges padded with 0 as a median filter does).
    changed = np.convolve(changed.astype(np.float64), np.ones(9), mode="same") >= 5
    spans: list[list[float]] = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], changed.astype(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        start, end = a * hop / rate, b * hop / rate
        if spans and start - spans[-1][1] <= merge_gap_s:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [(s, e) for s, e in spans if e - s >= min_span_s]
