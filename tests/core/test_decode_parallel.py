"""Parallel decode: N ffmpeg parts, each streaming into its slice of one buffer, are bit-identical
to one stream, at every join, for every format that seeks exactly; the others fall back to one
stream. Files are short synthesised songs (a few seconds), encoded by the real ffmpeg."""

from __future__ import annotations

import contextlib
import subprocess

import numpy as np
import pytest

from inpaint_studio.core.cancel import Cancelled, CancelToken
from inpaint_studio.core.decode import load_audio, part_bounds, probe
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.errors import TruncatedAudioFile
from inpaint_studio.core.ffmpeg import ffmpeg_path
from inpaint_studio.core.peaks import PeakPyramid
from inpaint_studio.core.synth import synth_song

SECONDS = 7.0

# suffix -> extra ffmpeg encoder arguments
FORMATS = {
    "cbr.mp3": ["-c:a", "libmp3lame", "-b:a", "192k"],
    "vbr.mp3": ["-c:a", "libmp3lame", "-q:a", "2"],
    "flac": [],
    "ogg": ["-c:a", "libvorbis", "-q:a", "4"],
    "wav": [],
    "m4a": ["-c:a", "aac", "-b:a", "160k"],
}
EXACT = {"cbr.mp3", "vbr.mp3", "flac", "ogg", "wav"}  # the rest must fall back to one stream


@pytest.fixture(scope="module")
def song_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("song") / "song.wav"
    encode_audio(synth_song(SECONDS, bpm=124.0, seed=3), path)
    return path


@pytest.fixture(scope="module")
def encoded(song_wav, tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")

    def make(kind: str, extra: list[str] | None = None):
        """`song.<kind>` (the last dotted part is the suffix ffmpeg picks the container by)."""
        path = folder / (f"song.{kind}" if extra is None else f"custom.{kind}")
        if not path.exists():
            subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-i", str(song_wav),
                            *(FORMATS[kind] if extra is None else extra), str(path)],
                           check=True)  # fmt: skip
        return path

    return make


@pytest.fixture
def seeks(monkeypatch):
    """The parts started during a test: each one's (seek_s, drop, keep)."""
    from inpaint_studio.core import decode

    started: list[tuple[float, int, int | None]] = []
    original = decode.DecodeStream.__init__

    def init(self, path, channels=None, part=None):
        if part is not None:
            started.append(part)
        original(self, path, channels, part)

    monkeypatch.setattr(decode.DecodeStream, "__init__", init)
    return started


def _decode(path, parts):
    chunks: list[tuple[int, int]] = []
    audio = load_audio(path, on_chunk=lambda info, s, c: chunks.append((s, c.shape[1])),
                       parts=parts)  # fmt: skip
    return audio, chunks


def _in_order(chunks: list[tuple[int, int]]) -> bool:
    """One stream: each chunk starts where the one before ended."""
    return chunks[0][0] == 0 and all(s1 == s0 + n0 for (s0, n0), (s1, _) in
                                     zip(chunks, chunks[1:], strict=False))  # fmt: skip


@pytest.mark.parametrize("kind", list(FORMATS))
@pytest.mark.parametrize("parts", [2, 3])
def test_parts_are_bit_identical_to_one_stream_at_every_join(encoded, seeks, kind, parts):
    path = encoded(kind)
    whole, _ = _decode(path, parts=1)
    assert not seeks
    split, chunks = _decode(path, parts=parts)
    assert split.sample_rate == whole.sample_rate and split.channels == whole.channels
    assert split.frames == whole.frames
    # every frame was reported exactly once
    covered = np.zeros(split.frames, dtype=np.int8)
    for s, n in chunks:
        covered[s : s + n] += 1
    assert (covered == 1).all()
    info = probe(path)
    total = int(info.declared_duration * info.sample_rate)
    joins = part_bounds(total, parts)[1:-1]
    starts = {s for s, _ in chunks}
    if kind in EXACT:
        assert len(seeks) == parts - 1  # part 0 is the first stream itself
        assert all(j in starts for j in joins)  # each part reported from its first frame
        for j in joins:  # the neighbourhood of each join, with its index in the message
            np.testing.assert_array_equal(split.samples[:, j - 4096 : j + 4096],
                                          whole.samples[:, j - 4096 : j + 4096],
                                          err_msg=f"{kind}: join at frame {j}")  # fmt: skip
    else:
        assert not seeks
        assert _in_order(chunks)
    np.testing.assert_array_equal(split.samples, whole.samples)


def test_the_pyramid_from_parts_matches_the_sequential_one(encoded):
    path = encoded("vbr.mp3")
    pyr = PeakPyramid(2, 44100)
    audio = load_audio(path, on_chunk=lambda info, s, c: pyr.write(s, c), parts=3)
    assert pyr.frames == pyr.end == audio.frames
    whole = PeakPyramid.from_samples(audio.samples, audio.sample_rate)
    for lvl, n in enumerate(whole._counts):
        np.testing.assert_array_equal(pyr._mins[lvl][:, :n], whole._mins[lvl][:, :n])
        np.testing.assert_array_equal(pyr._maxs[lvl][:, :n], whole._maxs[lvl][:, :n])


def test_mp3_without_a_length_header_falls_back_to_one_stream(encoded, seeks):
    """A VBR MP3 with no Xing header: ffmpeg only guesses its length, so parts could miss."""
    path = encoded("vbr.mp3", ["-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0"])  # fmt: skip
    whole, _ = _decode(path, parts=1)
    split, chunks = _decode(path, parts=3)
    assert not seeks
    assert _in_order(chunks)
    np.testing.assert_array_equal(split.samples, whole.samples)


@pytest.mark.parametrize("kind", ["flac", "cbr.mp3", "wav"])
def test_a_cut_file_is_reported_as_cut_by_the_parts(encoded, tmp_path, kind):
    whole = encoded(kind).read_bytes()
    path = tmp_path / f"cut.{kind.split('.')[-1]}"
    path.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(TruncatedAudioFile, match="cut short"):
        load_audio(path, parts=3)


def _ffmpeg_children() -> list[int]:
    """The ffmpeg processes this process started that still exist (zombies included)."""
    import os
    from pathlib import Path

    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        with contextlib.suppress(OSError):
            pids += [int(p) for p in (task / "children").read_text().split()]
    names = []
    for pid in pids:
        with contextlib.suppress(OSError):
            if "ffmpeg" in Path(f"/proc/{pid}/comm").read_text():
                names.append(pid)
    return names


def test_cancel_stops_every_part(encoded):
    path = encoded("flac")
    token = CancelToken()
    seen = []

    def on_chunk(info, start, chunk):
        seen.append(start)
        token.cancel()

    before = _ffmpeg_children()
    with pytest.raises(Cancelled):
        load_audio(path, token, on_chunk, parts=3)
    assert len(seen) >= 1
    assert _ffmpeg_children() == before  # every part's ffmpeg is stopped and reaped


def test_an_error_in_the_callback_stops_the_parts(encoded):
    path = encoded("ogg")

    def on_chunk(info, start, chunk):
        raise RuntimeError("boom")

    before = _ffmpeg_children()
    with pytest.raises(RuntimeError, match="boom"):
        load_audio(path, on_chunk=on_chunk, parts=2)
    assert _ffmpeg_children() == before


def test_part_bounds_cover_the_file():
    assert part_bounds(10, 3) == [0, 3, 6, 10]
    assert part_bounds(1000, 1) == [0, 1000]


@pytest.mark.parametrize("kind,args", [
    ("mp3", ["-ar", "48000", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "128k"]),
    ("ogg", ["-ar", "22050", "-c:a", "libvorbis", "-q:a", "3"]),
    ("flac", ["-ar", "32000", "-sample_fmt", "s32"]),
])  # fmt: skip
def test_other_rates_and_layouts_join_exactly(encoded, seeks, kind, args):
    """Each part seeks to a frame whose time is a whole number of microseconds; at other rates
    that is a different step (48 kHz: 3 frames, 22.05 kHz: 441, 32 kHz: 4)."""
    path = encoded(kind, args)
    whole, _ = _decode(path, parts=1)
    split, _ = _decode(path, parts=3)
    assert len(seeks) == 2  # the parts ran
    np.testing.assert_array_equal(split.samples, whole.samples)


def test_more_audio_than_the_header_promised_is_kept(encoded, seeks, monkeypatch):
    """The buffer is sized from the header; what the last part decodes beyond it is kept aside
    and joined at the end, still bit-identical."""
    from inpaint_studio.core import decode

    path = encoded("flac")
    whole, _ = _decode(path, parts=1)
    sizes = []
    original = decode.empty_planar

    def small_first(channels, frames):
        sizes.append(frames)
        return original(channels, frames * 4 // 5 if len(sizes) == 1 else frames)

    monkeypatch.setattr(decode, "empty_planar", small_first)
    split, chunks = _decode(path, parts=2)
    assert len(seeks) == 1 and len(sizes) == 2  # the parts ran, and the buffer was regrown
    covered = np.zeros(split.frames, dtype=np.int8)
    for s, n in chunks:
        covered[s : s + n] += 1
    assert (covered == 1).all()
    np.testing.assert_array_equal(split.samples, whole.samples)
