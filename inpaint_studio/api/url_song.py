"""Opening a song from an http(s) address: fetch it into the cache so the waveform can show it
(a job can then send the address as `audio_url` instead of uploading). The same downloader as a
job's results (`api.download`): streamed with progress, resumed after a break, retried by the one
retry policy (`api.retry`), cancellable, checked to decode, atomically renamed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests

from inpaint_studio.api.download import download_file
from inpaint_studio.api.errors import DownloadError
from inpaint_studio.api.hops import is_loopback
from inpaint_studio.api.retry import RetryPolicy
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.core.decode import probe
from inpaint_studio.core.errors import AudioError

_SUFFIXES = (".mp3", ".wav", ".flac", ".ogg", ".oga", ".m4a", ".aac", ".opus", ".aif", ".aiff")


def cached_path(url: str, cache_dir: Path) -> Path:
    """Where the song at `url` is kept: named by a hash of the address, with its suffix."""
    suffix = Path(urlsplit(url).path).suffix.lower()
    suffix = suffix if suffix in _SUFFIXES else ".audio"
    return Path(cache_dir) / "opened" / (hashlib.sha256(url.encode()).hexdigest()[:24] + suffix)


def fetch_song(url: str, cache_dir: Path, *, token: CancelToken = NEVER,
               progress: Callable[[int, int | None], None] | None = None,
               timeout: float = 30.0, retry: RetryPolicy | None = None) -> Path:
    """The song at `url` as a local file (fetched unless already cached and readable);
    `progress(done, total)` in bytes, total None when unknown. Raises DownloadError with a
    message for the musician (naming the host, never the whole address), or Cancelled."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DownloadError("Only http(s) addresses can be opened; this one is "
                            f"{parts.scheme + ':' if parts.scheme else 'not a web address'}.")
    target = cached_path(url, cache_dir)
    if target.is_file():
        try:
            probe(target)
            return target
        except AudioError:  # a bad cached copy is fetched again
            target.unlink(missing_ok=True)

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total or None)

    with requests.Session() as session:
        # A song on this machine is never fetched through a proxy named in the environment
        # (as the client and the local server's fetches): the proxy would get the request.
        session.trust_env = not is_loopback(parts.hostname)
        return download_file(session, url, target, timeout=timeout, progress=report,
                             token=token, verify="probe", retry=retry, what=parts.hostname,
                             name="the song")
