"""Writing audio through ffmpeg, always atomically: planar float32 → WAV/FLAC/MP3/OGG/M4A.

`pipe_to_ffmpeg` is THE one place that runs an encoder over a pipe (used here and by
`core.export`): it feeds raw interleaved blocks to ffmpeg while it encodes into a temporary file
beside the target, and renames that file into place only when ffmpeg succeeded."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from inpaint_studio.core.atomic import atomic_path
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.core.errors import EncodeError
from inpaint_studio.core.ffmpeg import ffmpeg_path

_CODECS = {
    ".wav": ["-c:a", "pcm_s16le"],
    ".flac": ["-c:a", "flac"],
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "192k"],
    ".ogg": ["-c:a", "libvorbis", "-q:a", "5"],
    ".m4a": ["-c:a", "aac", "-b:a", "192k"],
}
_FORMATS = {".wav": "wav", ".flac": "flac", ".mp3": "mp3", ".ogg": "ogg", ".m4a": "ipod"}
_WRITE_FRAMES = 1 << 16

Progress = Callable[[int, int], None]


def encode_audio(
    audio: Audio,
    target: str | os.PathLike[str],
    codec_args: list[str] | None = None,
    metadata: dict[str, str] | None = None,
    token: CancelToken = NEVER,
    progress: Progress | None = None,
) -> Path:
    """Encode `audio` to `target` (format from its suffix) via a temporary file and a rename.

    `progress(done_frames, total_frames)` is called as the samples are fed to ffmpeg."""
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix not in _FORMATS:
        raise EncodeError(f"Cannot write {suffix or 'files without a suffix'}: use one of "
                          + ", ".join(sorted(_FORMATS)))
    args = codec_args if codec_args is not None else _CODECS[suffix]
    blocks = (
        (min(start + _WRITE_FRAMES, audio.frames),
         np.ascontiguousarray(audio.samples[:, start : start + _WRITE_FRAMES].T, dtype="<f4"))
        for start in range(0, audio.frames, _WRITE_FRAMES)
    )
    return pipe_to_ffmpeg(blocks, target, raw_format="f32le", sample_rate=audio.sample_rate,
                          channels=audio.channels, total_frames=audio.frames, codec_args=args,
                          container=_FORMATS[suffix], metadata=metadata, token=token,
                          progress=progress)


def pipe_to_ffmpeg(blocks: Iterable[tuple[int, object]], target: Path, *, raw_format: str,
                   sample_rate: int, channels: int, total_frames: int, codec_args: list[str],
                   container: str, metadata: dict[str, str] | None = None,
                   token: CancelToken = NEVER, progress: Progress | None = None) -> Path:
    """Encode `blocks` — `(frames done, interleaved raw samples in `raw_format`)`, anything with
    the buffer protocol — into `target` as `container`, atomically.

    Raises `EncodeError` when ffmpeg fails (with its message) or `Cancelled`; either way no
    file is left at `target` nor beside it."""
    meta: list[str] = []
    for key, value in (metadata or {}).items():
        meta += ["-metadata", f"{key}={value}"]
    with atomic_path(target, suffix=f".part.{target.suffix.lstrip('.') or container}") as tmp, \
            tempfile.TemporaryFile() as errors:
        cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y",
               "-f", raw_format, "-ar", str(sample_rate), "-ac", str(channels),
               "-i", "pipe:0", *codec_args, *meta, "-f", container, str(tmp)]  # fmt: skip
        # stderr goes to a file, not a pipe: a chatty ffmpeg can then never fill a pipe nobody
        # reads while we block writing its stdin.
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=errors)
        assert proc.stdin is not None
        try:
            # The blocks are converted on this thread while ffmpeg encodes the previous ones
            # on the other core; a pipe write blocks only when the encoder is behind.
            for done, chunk in blocks:
                token.raise_if_cancelled()
                proc.stdin.write(chunk)  # type: ignore[arg-type]
                if progress is not None:
                    progress(done, total_frames)
            proc.stdin.close()
        except BrokenPipeError:
            # ffmpeg stopped reading: its exit status and message say why, below.
            with contextlib.suppress(OSError):
                proc.stdin.close()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if proc.wait() != 0:
            errors.seek(0)
            err = errors.read().decode("utf-8", "replace").strip()
            raise EncodeError(f"Could not write {target.name}: {err or 'ffmpeg failed'}")
    return target
