"""Downloading a result file: streamed to a temporary sibling with progress, resumed with a Range
request after a break, checked against the announced length and decoded, then renamed into place.

Local names come from conversion ids (`result_filename`), never from the URL's path."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import requests
import urllib3

from inpaint_studio.api.errors import ApiError, DownloadError, error_from_response
from inpaint_studio.core.cancel import NEVER, Cancelled, CancelToken
from inpaint_studio.core.decode import load_audio, probe
from inpaint_studio.core.errors import AudioError

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024  # an upper bound: read1 returns whatever has arrived
RETRY_STATUSES = (429, 502, 503, 504)
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
_RANGE_TOTAL = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def result_filename(conversion_id: str, suffix: str) -> str:
    """`<conversion_id><suffix>` after checking the id is a plain token (no path tricks)."""
    if not _SAFE_ID.match(conversion_id or ""):
        raise DownloadError(f"The server sent an unusable conversion id {conversion_id!r}.")
    if suffix not in (".mp3", ".wav", ".flac", ".jpg", ".png"):
        raise DownloadError(f"Unexpected result type {suffix!r}.")
    return conversion_id + suffix


def partial_path(target: Path) -> Path:
    """Where an interrupted download of `target` waits to be resumed."""
    return target.with_name(f".{target.name}.partial")


def download_file(session: requests.Session, url: str, target: str | os.PathLike[str], *,
                  timeout: float = 30.0, progress: Callable[[int, int], None] | None = None,
                  token: CancelToken = NEVER, attempts: int = 5, verify: str = "decode",
                  retry_base_s: float = 0.25) -> Path:
    """Fetch `url` into `target`. `verify` is "decode" (full decode, catches truncated audio),
    "probe" (header only) or "none" (non-audio, e.g. covers). Retries back off exponentially
    from `retry_base_s` (with jitter, at most 8 s; a host's Retry-After wins). Raises
    DownloadError/ApiError or Cancelled; a partial file is kept for a later resume unless it
    proved bad."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(target)
    total: int | None = None
    last: Exception | None = None
    for attempt in range(attempts):
        token.raise_if_cancelled()
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            total = _fetch(session, url, part, have, headers, timeout, progress, token)
        except _Restart:
            continue  # the server ignored or rejected our Range: start over from byte 0
        except _Busy as busy:
            last = busy.error
            if attempt + 1 < attempts and token.wait(busy.delay(attempt, retry_base_s)):
                raise Cancelled() from None
            continue
        except (requests.ConnectionError, requests.Timeout, urllib3.exceptions.HTTPError,
                requests.exceptions.ChunkedEncodingError) as exc:
            last = exc
            log.info("download of %s broke after %d bytes (attempt %d): %s", target.name,
                     part.stat().st_size if part.exists() else 0, attempt + 1, type(exc).__name__)
            if token.wait(_backoff(attempt, retry_base_s)):
                raise Cancelled() from None
            continue
        break
    else:
        if isinstance(last, ApiError):
            raise DownloadError(f"Could not download {target.name}: {last.user_message}",
                                status=last.status) from last
        raise DownloadError(f"Could not download {target.name}: the connection kept breaking "
                            f"({type(last).__name__ if last else 'no data'}). Try again later; "
                            "what was fetched so far is kept.")
    size = part.stat().st_size
    if total is not None and size != total:
        _discard(part)
        raise DownloadError(f"{target.name} arrived with {size:,} of {total:,} bytes.")
    _check_audio(part, target, verify)
    os.replace(part, target)
    return target


def _read_some(resp: requests.Response) -> bytes:
    """The next bytes as soon as any have arrived (not a whole chunk), so progress and cancel
    stay responsive on a slow connection."""
    raw = resp.raw
    if hasattr(raw, "read1"):
        return raw.read1(CHUNK, decode_content=True)
    return raw.read(CHUNK, decode_content=True)


class _Restart(Exception):
    pass


class _Busy(Exception):
    """429/502/503/504 from the file host: worth another try after a pause."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.user_message)
        self.error = error

    def delay(self, attempt: int, base: float) -> float:
        after = getattr(self.error, "retry_after", None)
        if after is not None:
            return min(120.0, after)
        return _backoff(attempt, base)


def _backoff(attempt: int, base: float) -> float:
    return min(8.0, base * 2**attempt) * (0.5 + random.random())


@contextlib.contextmanager
def _closes_on_cancel(resp: requests.Response, token: CancelToken) -> Iterator[None]:
    """Close `resp` as soon as `token` is cancelled, so a read blocked on a slow network ends
    within ~50 ms instead of after the next chunk or the timeout."""
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if token.wait(0.05):
                # Closing alone does not wake a thread blocked in recv(); a shutdown does.
                sock = getattr(getattr(resp.raw, "_connection", None), "sock", None)
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                resp.close()
                return

    watcher = threading.Thread(target=watch, name="download-cancel", daemon=True)
    watcher.start()
    try:
        yield
    except Exception:
        if token.cancelled:
            raise Cancelled() from None
        raise
    finally:
        done.set()


def _fetch(session: requests.Session, url: str, part: Path, have: int, headers: dict,
           timeout: float, progress: Callable[[int, int], None] | None,
           token: CancelToken) -> int | None:
    with session.get(url, headers=headers, stream=True, timeout=timeout) as resp:
        if resp.status_code == 416 and have:
            _discard(part)  # our partial copy is longer than the file: it is not the same file
            raise _Restart()
        if resp.status_code in RETRY_STATUSES:
            raise _Busy(error_from_response(resp.status_code, resp.content, resp.headers,
                                            what="The result server"))
        if resp.status_code not in (200, 206):
            err = error_from_response(resp.status_code, resp.content, resp.headers,
                                      what="The result server")
            raise DownloadError(f"Could not download the result: {err.user_message}",
                                status=resp.status_code) from err
        total: int | None = None
        if resp.status_code == 206:
            m = _RANGE_TOTAL.match(resp.headers.get("Content-Range", ""))
            if not m or int(m.group(1)) != have:
                _discard(part)
                raise _Restart()
            total = int(m.group(3)) if m.group(3) != "*" else None
            mode = "ab"
        else:
            have = 0  # a full answer: start the file over
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            mode = "wb"
        done = have
        with open(part, mode) as fh, _closes_on_cancel(resp, token):
            while chunk := _read_some(resp):
                if token.cancelled:
                    raise Cancelled()
                fh.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total or 0)
            fh.flush()
            os.fsync(fh.fileno())
        token.raise_if_cancelled()  # a closed response can also just end early
        if total is not None and done < total:
            # urllib3 does not always notice a short body; treat it as a break and resume.
            raise requests.exceptions.ChunkedEncodingError(f"short body: {done} of {total}")
        return total


def _check_audio(part: Path, target: Path, verify: str) -> None:
    if verify == "none":
        return
    # ffmpeg picks the demuxer from content, but give it the right suffix for its probe too.
    probe_path = part.with_name(part.name + target.suffix)
    os.replace(part, probe_path)
    try:
        if verify == "probe":
            probe(probe_path)
        else:
            load_audio(probe_path)
    except AudioError as exc:
        _discard(probe_path)
        raise DownloadError(f"The downloaded {target.name} is not usable audio: {exc}") from exc
    finally:
        if probe_path.exists():
            os.replace(probe_path, part)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


__all__ = ["download_file", "result_filename", "partial_path", "ApiError"]
