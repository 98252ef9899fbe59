"""Finding the ffmpeg binary: the system one if present, else imageio-ffmpeg's bundled build."""

from __future__ import annotations

import functools
import os
import shutil

from inpaint_studio.core.errors import FfmpegMissing


@functools.lru_cache(maxsize=1)
def ffmpeg_path() -> str:
    """Absolute path of a working ffmpeg; raises `FfmpegMissing` when there is none.

    `INPAINT_STUDIO_FFMPEG` overrides the search (used by the frozen build and by tests)."""
    override = os.environ.get("INPAINT_STUDIO_FFMPEG")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise FfmpegMissing()
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # ImportError, or its binary missing
        raise FfmpegMissing() from exc
