"""Writing audio: planar float32 → WAV/FLAC/MP3/… through ffmpeg, always atomically."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
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


def encode_audio(
    audio: Audio,
    target: str | os.PathLike[str],
    codec_args: list[str] | None = None,
    metadata: dict[str, str] | None = None,
    token: CancelToken = NEVER,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Encode `audio` to `target` (format from its suffix) via a temporary file and a rename.

    `progress(done_frames, total_frames)` is called as the samples are fed to ffmpeg."""
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix not in _FORMATS:
        raise EncodeError(f"Cannot write {suffix or 'files without a suffix'}: use one of "
                          + ", ".join(sorted(_FORMATS)))
    args = codec_args if codec_args is not None else _CODECS[suffix]
    meta: list[str] = []
    for key, value in (metadata or {}).items():
        meta += ["-metadata", f"{key}={value}"]
    with atomic_path(target, suffix=".part" + suffix) as tmp:
        cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y",
               "-f", "f32le", "-ar", str(audio.sample_rate), "-ac", str(audio.channels),
               "-i", "pipe:0", *args, *meta, "-f", _FORMATS[suffix], str(tmp)]  # fmt: skip
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdin is not None
        total = audio.frames
        try:
            for start in range(0, total, _WRITE_FRAMES):
                token.raise_if_cancelled()
                block = audio.samples[:, start : start + _WRITE_FRAMES]
                proc.stdin.write(np.ascontiguousarray(block.T, dtype="<f4").tobytes())
                if progress is not None:
                    progress(min(start + _WRITE_FRAMES, total), total)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise EncodeError(f"Could not write {target.name}: {err.strip() or 'ffmpeg failed'}")
    return target
