"""The on-disk cache of maps, keyed by content: a hash of the file's bytes (no decode needed
for a hit) or of the decoded samples, together with ANALYSIS_VERSION, so a changed analysis
never serves an old map. Entries are JSON, written atomically (temp file + rename)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from inpaint_studio.core.atomic import atomic_write_text
from inpaint_studio.core.audio import Audio
from inpaint_studio.musicmap.model import ANALYSIS_VERSION, MusicMap

log = logging.getLogger(__name__)
SUBDIR = "musicmap"


def file_key(path: str | os.PathLike[str]) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(f"file-v{ANALYSIS_VERSION}\0".encode())
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def audio_key(audio: Audio) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(f"audio-v{ANALYSIS_VERSION}\0{audio.sample_rate}\0{audio.samples.shape}\0".encode())
    for row in audio.samples:
        h.update(np.ascontiguousarray(row).view(np.uint8))
    return h.hexdigest()


def default_dir() -> Path:
    from inpaint_studio import paths  # noqa: PLC0415 - a leaf helper, only for the default

    return paths.cache_dir()


def entry_path(cache_dir: str | os.PathLike[str], key: str) -> Path:
    return Path(cache_dir) / SUBDIR / f"{key}.json"


def load(cache_dir: str | os.PathLike[str], key: str) -> MusicMap | None:
    path = entry_path(cache_dir, key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != ANALYSIS_VERSION:
            return None
        return MusicMap.from_dict(data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable music-map cache entry %s: %s", path, exc)
        return None


def store(cache_dir: str | os.PathLike[str], key: str, mmap: MusicMap) -> Path | None:
    """Keep `mmap` for next time; None when the cache cannot be written (a read-only home, a
    full disk): the cache is an optimisation, so that costs a later analysis, never this one."""
    path = entry_path(cache_dir, key)
    try:
        atomic_write_text(path, mmap.to_json())
    except OSError as exc:
        log.warning("the musical map could not be cached in %s: %s", cache_dir, exc)
        return None
    return path
