"""Decoding through the real ffmpeg: every format keeps its rate and channels and its samples;
every kind of bad file raises the typed error a musician can read."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.cancel import Cancelled, CancelToken
from inpaint_studio.core.decode import load_audio, probe
from inpaint_studio.core.errors import (
    AudioError,
    AudioFileMissing,
    EmptyAudioFile,
    FfmpegMissing,
    NotAudioFile,
    TruncatedAudioFile,
)
from inpaint_studio.core.ffmpeg import ffmpeg_path


def tone(seconds: float, rate: int, channels: int) -> np.ndarray:
    """What the root conftest's `audio_file` writes: a sine per channel, a fifth apart."""
    t = np.arange(int(seconds * rate)) / rate
    return np.asarray([0.25 * np.sin(2 * np.pi * 440 * 1.5**c * t) for c in range(channels)],
                      dtype=np.float32)  # fmt: skip


CODECS = {".mp3": "mp3", ".wav": "pcm_s16le", ".flac": "flac", ".ogg": "vorbis", ".m4a": "aac"}


def _dominant_hz(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spec) * rate / x.size)


@pytest.mark.parametrize("suffix", [".mp3", ".wav", ".flac", ".ogg", ".m4a"])
@pytest.mark.parametrize("rate,channels", [(44100, 2), (48000, 1), (22050, 2)])
def test_formats_keep_rate_channels_and_content(audio_file, suffix, rate, channels):
    path = audio_file(suffix, seconds=2.0, rate=rate, channels=channels)
    chunks: list[tuple[int, int]] = []
    audio = load_audio(path, on_chunk=lambda info, start, c: chunks.append((start, c.shape[1])))
    assert audio.sample_rate == rate
    assert audio.channels == channels
    assert audio.samples.dtype == np.float32
    assert abs(audio.duration - 2.0) < 0.06  # encoder padding is trimmed by ffmpeg
    # the chunks were contiguous and cover everything
    assert chunks[0][0] == 0
    for (s0, n0), (s1, _) in zip(chunks, chunks[1:], strict=False):
        assert s1 == s0 + n0
    assert sum(n for _, n in chunks) == audio.frames
    info = probe(path)
    assert (info.sample_rate, info.channels, info.codec) == (rate, channels, CODECS[suffix])
    # the content is the tone that was written: 440 Hz on the first channel, a fifth up on the next
    ref = tone(2.0, rate, channels)
    mid = slice(rate // 4, rate // 4 + 16384)
    for c in range(channels):
        assert _dominant_hz(audio.samples[c, mid], rate) == pytest.approx(440 * 1.5**c, rel=0.01)
        assert np.max(np.abs(audio.samples[c, mid])) == pytest.approx(0.25, abs=0.03)
    if suffix in (".wav", ".flac"):  # lossless: sample-exact up to 16-bit quantisation
        np.testing.assert_allclose(audio.samples, ref, atol=1.0 / 32768 + 1e-6)


def test_long_file_arrives_in_several_chunks(audio_file):
    path = audio_file(".flac", seconds=5.0)
    n = []
    load_audio(path, on_chunk=lambda info, start, c: n.append(start))
    assert len(n) >= 3


def test_cancel_stops_decoding(audio_file):
    path = audio_file(".flac", seconds=5.0)
    token = CancelToken()

    def on_chunk(info, start, chunk):
        token.cancel()

    with pytest.raises(Cancelled):
        load_audio(path, token, on_chunk)


def test_missing_file(tmp_path):
    with pytest.raises(AudioFileMissing, match="does not exist"):
        load_audio(tmp_path / "nope.mp3")
    with pytest.raises(AudioFileMissing):
        load_audio(tmp_path)  # a folder is not a file


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    with pytest.raises(EmptyAudioFile, match="empty"):
        load_audio(path)


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3"])
def test_truncated_file(audio_file, tmp_path, suffix):
    whole = audio_file(suffix, seconds=6.0).read_bytes()
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(TruncatedAudioFile, match="cut short") as err:
        load_audio(path)
    assert err.value.decoded_s < err.value.declared_s - 1


@pytest.mark.parametrize(
    "name,content",
    [("notes.mp3", b"these are my lyrics, not audio\n" * 50),
     ("random.wav", bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8))),
     ("header-only.wav", b"RIFF\x24\x00\x00\x00WAVEfmt ")],
)  # fmt: skip
def test_not_audio(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioError) as err:
        load_audio(path)
    assert isinstance(err.value, (NotAudioFile, EmptyAudioFile))
    assert str(path.name) in str(err.value)


def test_image_without_audio(tmp_path):
    import subprocess

    path = tmp_path / "cover.png"
    subprocess.run([ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=16x16",
                    "-frames:v", "1", str(path)], check=True)  # fmt: skip
    with pytest.raises(NotAudioFile, match="no audio stream"):
        load_audio(path)


def test_no_ffmpeg(audio_file, monkeypatch, tmp_path):
    path = audio_file(".wav", seconds=0.5)
    monkeypatch.setenv("INPAINT_STUDIO_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    ffmpeg_path.cache_clear()
    try:
        with pytest.raises(FfmpegMissing, match="ffmpeg was not found"):
            load_audio(path)
    finally:
        monkeypatch.delenv("INPAINT_STUDIO_FFMPEG")
        ffmpeg_path.cache_clear()
    assert load_audio(path).frames > 0


def test_large_decode_buffers_are_ordinary_writable_planar_arrays():
    from inpaint_studio.core.decode import _PLAIN_PAGES_FROM, empty_planar

    frames = _PLAIN_PAGES_FROM // 8 + 1000  # above the size that gets its own pages
    data = empty_planar(2, frames)
    assert data.shape == (2, frames) and data.dtype == np.float32
    assert data.flags.c_contiguous and data.flags.writeable
    data[1, -3:] = [1.0, 2.0, 3.0]
    data[0, :2] = 0.5
    assert data[1, -1] == 3.0 and data[0, 1] == 0.5
    small = empty_planar(2, 1000)
    assert small.shape == (2, 1000) and small.dtype == np.float32
