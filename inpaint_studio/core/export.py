"""Exporting the edited song (or one region of it): WAV, FLAC and MP3 with a title.

WAV is written here directly (header + interleaved blocks converted with numpy in cache-sized
pieces), which is several times faster than going through ffmpeg or libsndfile's converters.
FLAC and MP3 are encoded by ffmpeg, fed raw float samples through a pipe (`core.encode`), so the
export costs little more than the encoder itself. Every export goes to a temporary file that is
renamed onto the target only when complete: a cancelled, failed or killed export never leaves a
partial file where the musician asked for one."""

from __future__ import annotations

import os
import queue
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inpaint_studio.core.atomic import atomic_path
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.core.encode import pipe_to_ffmpeg
from inpaint_studio.core.errors import EncodeError

FORMATS = ("wav", "flac", "mp3")
WAV_DEPTHS = (16, 24, 32)  # 32 means 32-bit float
FLAC_DEPTHS = (16, 24)
MP3_BITRATES = (128, 160, 192, 224, 256, 320)
_BLOCK = 1 << 15  # frames per conversion block: a few hundred kB, stays in cache
_WAV_LIMIT = 0xFFFFFFFF - 1024
_S32_FROM_24 = -24  # a pseudo depth: 24-bit values, shifted into the top of 32-bit words

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportOptions:
    """What to write: `format` ("wav", "flac", "mp3"), `bit_depth` (WAV 16/24/32-float, FLAC
    16/24), `bitrate_kbps` (MP3), `title` and any other `metadata` tags."""

    format: str = "wav"
    bit_depth: int = 24
    bitrate_kbps: int = 320
    title: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def check(self) -> None:
        """Raise `EncodeError` with a readable message when the combination is not supported."""
        if self.format not in FORMATS:
            raise EncodeError(f"Cannot export {self.format!r}: choose WAV, FLAC or MP3.")
        if self.format == "wav" and self.bit_depth not in WAV_DEPTHS:
            raise EncodeError("WAV exports are 16-bit, 24-bit or 32-bit float.")
        if self.format == "flac" and self.bit_depth not in FLAC_DEPTHS:
            raise EncodeError("FLAC exports are 16-bit or 24-bit.")
        if self.format == "mp3" and not 32 <= self.bitrate_kbps <= 320:
            raise EncodeError("MP3 bitrates run from 32 to 320 kbit/s.")

    @property
    def suffix(self) -> str:
        return "." + self.format

    def tags(self) -> dict[str, str]:
        tags = dict(self.metadata)
        if self.title:
            tags["title"] = self.title
        return tags


def export_audio(audio: Audio, target: str | os.PathLike[str], options: ExportOptions,
                 token: CancelToken = NEVER, progress: Progress | None = None) -> Path:
    """Write `audio` to `target` as `options` say, atomically; `progress(done, total)` in frames.

    Raises `EncodeError` (bad options, disk full, ffmpeg failure) or `Cancelled`."""
    options.check()
    target = Path(target)
    if options.format == "wav":
        return _export_wav(audio, target, options, token, progress)
    return _export_ffmpeg(audio, target, options, token, progress)


def export_region(audio: Audio, start_s: float, end_s: float, target: str | os.PathLike[str],
                  options: ExportOptions, token: CancelToken = NEVER,
                  progress: Progress | None = None) -> Path:
    """Export only `[start_s, end_s)` of `audio` (e.g. one version's region on its own)."""
    a = max(0, min(audio.frames, round(start_s * audio.sample_rate)))
    b = max(0, min(audio.frames, round(end_s * audio.sample_rate)))
    if b <= a:
        raise EncodeError("The region to export is empty.")
    return export_audio(Audio(audio.samples[:, a:b], audio.sample_rate), target, options, token,
                        progress)


def codec_args(options: ExportOptions) -> list[str]:
    """ffmpeg codec arguments for a FLAC or MP3 export (shared with the benchmark's floor)."""
    if options.format == "flac":
        if options.bit_depth == 16:
            return ["-c:a", "flac", "-sample_fmt", "s16"]
        return ["-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"]
    if options.format == "mp3":
        return ["-c:a", "libmp3lame", "-b:a", f"{options.bitrate_kbps}k", "-id3v2_version", "3"]
    raise EncodeError(f"{options.format} is not encoded by ffmpeg")


# -- FLAC and MP3 through ffmpeg ------------------------------------------------------------------
def _feed(options: ExportOptions) -> tuple[int, str]:
    """What we pipe to ffmpeg: FLAC gets exactly its samples (s16le, or 24-bit values in s32le,
    the encoder's own formats: nothing left for ffmpeg to convert); MP3 gets float (LAME works
    in float). The conversion then runs here, on the other core, while ffmpeg encodes."""
    if options.format == "flac":
        return (16, "s16le") if options.bit_depth == 16 else (_S32_FROM_24, "s32le")
    return 32, "f32le"


def _export_ffmpeg(audio: Audio, target: Path, options: ExportOptions, token: CancelToken,
                   progress: Progress | None) -> Path:
    depth, raw_format = _feed(options)
    return pipe_to_ffmpeg(_wav_blocks(audio.samples, depth), target, raw_format=raw_format,
                          sample_rate=audio.sample_rate, channels=audio.channels,
                          total_frames=audio.frames, codec_args=codec_args(options),
                          container=options.format, metadata=options.tags(), token=token,
                          progress=progress)


# -- WAV ----------------------------------------------------------------------------------------
def _wav_header(channels: int, rate: int, depth: int, frames: int, title: str) -> bytes:
    is_float = depth == 32
    width = 4 if is_float else depth // 8
    data_bytes = frames * channels * width
    if data_bytes > _WAV_LIMIT:
        raise EncodeError("The song is too long for a WAV file (4 GB); export FLAC instead.")
    if is_float:  # IEEE float: an 18-byte fmt chunk and a fact chunk, as the spec asks
        fmt = struct.pack("<HHIIHHH", 3, channels, rate, rate * channels * width,
                          channels * width, 32, 0)
        extra = b"fact" + struct.pack("<II", 4, frames)
    else:
        fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * width,
                          channels * width, depth)
        extra = b""
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra
    if title:
        name = title.encode("utf-8") + b"\0"
        name += b"\0" * (len(name) % 2)
        info = b"INFO" + b"INAM" + struct.pack("<I", len(name)) + name
        chunks += b"LIST" + struct.pack("<I", len(info)) + info
    riff_size = 4 + len(chunks) + 8 + data_bytes + (data_bytes % 2)
    return (b"RIFF" + struct.pack("<I", riff_size) + b"WAVE" + chunks + b"data"
            + struct.pack("<I", data_bytes))


def _export_wav(audio: Audio, target: Path, options: ExportOptions, token: CancelToken,
                progress: Progress | None) -> Path:
    depth, ch, n = options.bit_depth, audio.channels, audio.frames
    header = _wav_header(ch, audio.sample_rate, depth, n, options.title)
    with atomic_path(target, suffix=".part.wav") as tmp:
        try:
            with open(tmp, "wb") as fh:
                fh.write(header)
                _write_overlapped(fh, _wav_blocks(audio.samples, depth, buffers=3), token,
                                  lambda done: progress(done, n) if progress else None)
                if (n * ch * (depth // 8)) % 2:
                    fh.write(b"\0")  # RIFF chunks are padded to an even length
        except OSError as exc:
            raise EncodeError(f"Could not write {target.name}: {exc.strerror or exc}") from exc
    return target


def _write_overlapped(fh: Any, blocks: Iterator[tuple[int, memoryview]], token: CancelToken,
                      progress: Callable[[int], None]) -> None:
    """Write `blocks` to `fh` from a helper thread while the next ones are converted (numpy and
    write() both release the GIL, so the two overlap on two cores). `blocks` must rotate at
    least three buffers: one being written, one queued, one being filled."""
    pending: queue.Queue[memoryview | None] = queue.Queue(maxsize=1)
    failure: list[BaseException] = []

    def writer() -> None:
        while (block := pending.get()) is not None:
            if not failure:
                try:
                    fh.write(block)
                except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
                    failure.append(exc)

    thread = threading.Thread(target=writer, name="wav writer", daemon=True)
    thread.start()
    try:
        for done, block in blocks:
            token.raise_if_cancelled()
            if failure:
                break
            pending.put(block)
            progress(done)
    finally:
        pending.put(None)
        thread.join()
    if failure:
        raise failure[0]


def _wav_blocks(samples: np.ndarray, depth: int,
                buffers: int = 1) -> Iterator[tuple[int, memoryview]]:
    """(frames done, interleaved little-endian block) of the song at `depth` (16/24 int, 32 float,
    or `_S32_FROM_24`: 24-bit values in 32-bit words).

    Integers are rounded to nearest and clipped, not wrapped; scratch buffers are reused, so
    no song-sized temporary is ever made. A yielded view stays valid while the next
    `buffers - 1` blocks are made."""
    ch, n = samples.shape
    scratch = np.empty((ch, _BLOCK), np.float32)
    kind = {32: "<f4", 16: "<i2"}.get(depth, "<i4")
    outs = [np.empty((_BLOCK, ch), kind) for _ in range(buffers)]
    packs = [np.empty((_BLOCK * ch * 3 + 12) // 4, "<u4") for _ in range(buffers)] \
        if depth == 24 else []
    shift = depth == _S32_FROM_24
    depth = 24 if shift else depth
    scale = float(2 ** (depth - 1)) if depth != 32 else 1.0
    for i, s in enumerate(range(0, n, _BLOCK)):
        m = min(_BLOCK, n - s)
        out = outs[i % buffers]
        packed = packs[i % buffers] if packs else None
        if depth == 32:
            for c in range(ch):  # per-channel strided copies beat a transposed copy 3-4x
                out[:m, c] = samples[c, s : s + m]
            yield s + m, memoryview(out[:m]).cast("B")
            continue
        t = scratch[:, :m]
        np.multiply(samples[:, s : s + m], scale, out=t)
        np.rint(t, out=t)
        np.clip(t, -scale, scale - 1, out=t)
        for c in range(ch):
            out[:m, c] = t[c]
        if depth == 16:
            yield s + m, memoryview(out[:m]).cast("B")
        elif shift:
            np.left_shift(out[:m], 8, out=out[:m])
            yield s + m, memoryview(out[:m]).cast("B")
        else:
            yield s + m, _pack24(out[:m].reshape(-1), packed)


def _pack24(values: np.ndarray, packed: np.ndarray) -> memoryview:
    """The low three bytes of each int32 in `values`, back to back (24-bit PCM), via `packed`
    (at least 3 × values.size + 1 bytes): `_pack24_strided`, once it has been seen to work
    here, else `_pack24_shifts`."""
    if _STRIDED_PACK_OK:
        return _pack24_strided(values, packed)
    return _pack24_shifts(values, packed)


def _pack24_strided(values: np.ndarray, packed: np.ndarray) -> memoryview:
    """One strided copy: each value is stored as a 4-byte word every 3 bytes, in increasing
    order, so the next value overwrites the stray fourth byte of the one before; 4x faster than
    the shifts. It relies on numpy copying a 1-D array front to back."""
    n = values.size
    dst = packed.view(np.uint8)
    words = np.ndarray((n,), "<u4", buffer=dst, strides=(3,))
    np.copyto(words, values.view("<u4"))
    return memoryview(dst[: 3 * n])


def _pack24_shifts(values: np.ndarray, packed: np.ndarray) -> memoryview:
    """Four samples become three 32-bit words with shifts; a tail of fewer than four samples
    is gathered byte by byte."""
    u = values.view("<u4")
    k = u.size // 4
    q = u[: 4 * k].reshape(k, 4)
    words = packed[: 3 * k].reshape(k, 3)
    np.bitwise_or(q[:, 0] & 0xFFFFFF, q[:, 1] << 24, out=words[:, 0])
    np.bitwise_or((q[:, 1] >> 8) & 0xFFFF, q[:, 2] << 16, out=words[:, 1])
    np.bitwise_or((q[:, 2] >> 16) & 0xFF, q[:, 3] << 8, out=words[:, 2])
    body = memoryview(packed[: 3 * k]).cast("B")
    if u.size == 4 * k:
        return body
    tail = u[4 * k :].view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return memoryview(bytes(body) + tail)


def _strided_pack_works() -> bool:
    """Whether this numpy copies front to back (checked once, on a few thousand values)."""
    probe = np.arange(-2_000_003, 2_000_003, 1_999, dtype="<i4") * 3
    fast = bytes(_pack24_strided(probe, np.empty(probe.size, "<u4")))
    return fast == bytes(_pack24_shifts(probe, np.empty(probe.size, "<u4")))


_STRIDED_PACK_OK = _strided_pack_works()
