"""File ▸ Open URL: fetch a song from an http(s) address into the cache so the waveform can show
it, remembering the address so a job can send it as `audio_url` instead of uploading. Runs as a
worker body: streamed with progress, cancellable, atomically renamed, checked to decode."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import requests

from inpaint_studio.core.atomic import atomic_path
from inpaint_studio.core.decode import probe
from inpaint_studio.services.worker import WorkContext

_CHUNK = 256 * 1024
_SUFFIXES = (".mp3", ".wav", ".flac", ".ogg", ".oga", ".m4a", ".aac", ".opus", ".aif", ".aiff")


class UrlSongError(Exception):
    """The address could not be fetched as a song; the message is for the user."""


def cached_path(url: str, cache_dir: Path) -> Path:
    """Where the song at `url` is kept: named by a hash of the address, with its suffix."""
    suffix = Path(urlsplit(url).path).suffix.lower()
    suffix = suffix if suffix in _SUFFIXES else ".audio"
    return cache_dir / "opened" / (hashlib.sha256(url.encode()).hexdigest()[:24] + suffix)


def fetch_song(ctx: WorkContext, url: str, cache_dir: Path, timeout: float = 30.0) -> Path:
    """Worker body: download `url` (unless already cached and decodable) and return the path."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlSongError(f"{url!r} is not an http(s) address.")
    target = cached_path(url, cache_dir)
    if target.is_file():
        try:
            probe(target)
            return target
        except Exception:  # noqa: BLE001 - a bad cached copy is fetched again
            target.unlink(missing_ok=True)
    try:
        with requests.get(url, stream=True, timeout=timeout) as resp:
            if resp.status_code != 200:
                raise UrlSongError(f"The address answered HTTP {resp.status_code}; the song "
                                   "could not be fetched.")
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            with atomic_path(target) as tmp, open(tmp, "wb") as fh:
                for block in resp.iter_content(_CHUNK):
                    ctx.token.raise_if_cancelled()
                    fh.write(block)
                    done += len(block)
                    ctx.progress(done, total or None)
                fh.flush()
                if total and done < total:
                    raise UrlSongError(f"The download stopped after {done:,} of {total:,} "
                                       "bytes.")
    except requests.RequestException as exc:
        raise UrlSongError(f"Could not fetch {parts.hostname}: {type(exc).__name__}.") from None
    try:
        probe(target)
    except Exception as exc:
        target.unlink(missing_ok=True)
        raise UrlSongError(f"What the address returned is not audio: {exc}") from None
    return target
