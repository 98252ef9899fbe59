"""Alignment of returned versions to the original's timeline, through real MP3 round trips."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.align import Alignment, align, apply_alignment, changed_spans
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio

RATE = 44100


def synth_song(seconds: float, seed: int = 0, rate: int = RATE) -> Audio:
    """Song-like stereo: random pitched notes with harmonics and decays on a 0.25 s grid,
    noise-burst drums on half of the beats. Repetitive like music, never periodic."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros((2, n), dtype=np.float32)
    beat = int(0.25 * rate)
    t = np.arange(2 * beat) / rate
    decay = np.exp(-t * 6.0)
    for start in range(0, n, beat):
        seg = min(2 * beat, n - start)
        f = 110.0 * 2 ** (rng.integers(0, 36) / 12)
        note = sum(np.sin(2 * np.pi * f * h * t[:seg] + rng.uniform(0, 6)) / h for h in (1, 2, 3))
        note = (0.12 * note * decay[:seg]).astype(np.float32)
        pan = rng.uniform(0.3, 1.0)
        out[0, start : start + seg] += note * pan
        out[1, start : start + seg] += note * (1.3 - pan)
        if rng.random() < 0.5:
            k = min(int(0.05 * rate), n - start)
            hit = rng.standard_normal(k) * np.exp(-np.arange(k) / (0.01 * rate)) * 0.2
            out[:, start : start + k] += hit.astype(np.float32)
    return Audio(out, rate)


def replaced(song: Audio, start: float, end: float, seed: int = 99) -> np.ndarray:
    """`song` with [start, end) taken from another song (a hard cut, the worst case)."""
    other = synth_song(song.duration, seed=seed, rate=song.sample_rate)
    out = song.samples.copy()
    a, b = int(start * song.sample_rate), int(end * song.sample_rate)
    out[:, a:b] = other.samples[:, a:b]
    return out


def mp3_round_trip(samples: np.ndarray, tmp_path, name: str = "v.mp3") -> Audio:
    path = encode_audio(Audio(np.ascontiguousarray(samples), RATE), tmp_path / name)
    return load_audio(path)


@pytest.fixture(scope="module")
def song() -> Audio:
    return synth_song(40.0, seed=1)


def test_positive_offset_exact_after_mp3(song, tmp_path):
    shift = int(0.37 * RATE)  # e.g. encoder delay plus a lead-in the server added
    body = replaced(song, 20.0, 28.0)
    version = mp3_round_trip(np.concatenate([np.zeros((2, shift), np.float32), body], 1), tmp_path)
    result = align(song, version, (20.0, 28.0))
    assert result.offset == shift
    assert result.seconds == pytest.approx(0.37, abs=1 / RATE)
    assert result.confidence > 0.9


def test_negative_offset_exact_after_mp3(song, tmp_path):
    cut = int(0.5 * RATE) + 123  # the version lacks the original's first half second
    version = mp3_round_trip(replaced(song, 10.0, 18.0)[:, cut:], tmp_path)
    result = align(song, version, (10.0, 18.0))
    assert result.offset == -cut
    assert result.confidence > 0.9


def test_unrelated_audio_has_low_confidence(song):
    other = synth_song(40.0, seed=7)
    assert align(song, other).confidence < 0.3


def test_other_sample_rate_is_resampled(song, tmp_path):
    shift = int(0.2 * RATE)
    padded = np.concatenate([np.zeros((2, shift), np.float32), song.samples], 1)
    path = encode_audio(Audio(padded, RATE), tmp_path / "v48.flac",
                        codec_args=["-c:a", "flac", "-ar", "48000"])
    version = load_audio(path)
    assert version.sample_rate == 48000
    result = align(song, version)
    assert result.sample_rate == RATE
    assert abs(result.offset - shift) <= 1
    moved = apply_alignment(version, result, song.frames)
    assert moved.sample_rate == RATE and moved.frames == song.frames


def test_apply_alignment_pads_and_trims(song):
    version = Audio(np.arange(10, dtype=np.float32)[None, :].repeat(2, 0), RATE)
    late = apply_alignment(version, Alignment(3, RATE, 1.0), 6)
    assert late.samples[0].tolist() == [3, 4, 5, 6, 7, 8]
    early = apply_alignment(version, Alignment(-2, RATE, 1.0), 14)
    assert early.samples[1].tolist() == [0, 0] + list(range(10)) + [0, 0]
    mono = apply_alignment(Audio(version.samples[:1].copy(), RATE), Alignment(0, RATE, 1), 4, 2)
    assert mono.channels == 2


def test_aligned_version_matches_outside_region_and_changes_are_found(song, tmp_path):
    shift = int(0.37 * RATE)
    body = replaced(song, 20.0, 28.0)
    version = mp3_round_trip(np.concatenate([np.zeros((2, shift), np.float32), body], 1), tmp_path)
    found = align(song, version, (20.0, 28.0))
    outside = np.r_[RATE : 19 * RATE, 29 * RATE : 39 * RATE]

    def snr(offset: int) -> float:
        moved = apply_alignment(version, Alignment(offset, RATE, 1.0), song.frames)
        err = moved.samples[:, outside] - song.samples[:, outside]
        return float(10 * np.log10(np.mean(song.samples[:, outside] ** 2) / np.mean(err**2)))

    # Only MP3 coding noise is left, and one sample either way is clearly worse.
    assert snr(found.offset) > 12
    assert snr(found.offset) > max(snr(found.offset - 1), snr(found.offset + 1)) + 6
    moved = apply_alignment(version, found, song.frames)
    spans = changed_spans(song, moved)
    assert len(spans) == 1
    assert spans[0][0] == pytest.approx(20.0, abs=0.1)
    assert spans[0][1] == pytest.approx(28.0, abs=0.1)


def test_no_change_no_spans(song, tmp_path):
    version = mp3_round_trip(song.samples, tmp_path)
    moved = apply_alignment(version, align(song, version), song.frames)
    assert changed_spans(song, moved) == []


def test_quiet_change_is_found(song):
    # A replacement 12 dB quieter than the song is still a change, not coding noise.
    body = song.samples.copy()
    a, b = 5 * RATE, 9 * RATE
    body[:, a:b] = synth_song(40.0, seed=5).samples[:, a:b] * 0.25
    spans = changed_spans(song, Audio(body, RATE))
    assert len(spans) == 1 and spans[0][0] == pytest.approx(5.0, abs=0.1)
    assert spans[0][1] == pytest.approx(9.0, abs=0.1)


def test_aligning_and_finding_changes_load_no_scipy_signal():
    """The first version of a job is aligned without waiting for scipy.signal to load (about
    1.6 s): numpy's FFT does the correlations, a majority vote the median."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from inpaint_studio.core.align import align, apply_alignment, changed_spans\n"
        "from inpaint_studio.core.audio import Audio\n"
        "rng = np.random.default_rng(1)\n"
        "song = Audio(rng.standard_normal((2, 44100 * 8)).astype(np.float32) * 0.1, 44100)\n"
        "late = Audio(np.concatenate([np.zeros((2, 300), np.float32), song.samples], 1), 44100)\n"
        "a = align(song, late, (2.0, 3.0))\n"
        "assert a.offset == 300, a\n"
        "changed_spans(song, apply_alignment(late, a, song.frames))\n"
        "print(sorted(m for m in sys.modules if m.startswith('scipy.signal')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "[]"
