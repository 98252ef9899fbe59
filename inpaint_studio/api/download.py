"""Downloading a file (a job's result, a song opened from an address): streamed to a temporary
sibling with progress, resumed with a Range request after a break, checked against the announced
length and decoded, then renamed into place. Breaks and busy answers are retried by the one
`RetryPolicy` of `api.retry`, nowhere else.

Local names come from conversion ids (`result_filename`), never from the URL's path. Redirects
are followed by hand, each hop checked by an `api.hops.HopRule` before anything connects to it
(by default the rule for the URL the download starts at)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from inpaint_studio.api.errors import ApiError, DownloadError, error_from_response
from inpaint_studio.api.hops import MAX_HOPS, REDIRECTS, HopRule
from inpaint_studio.api.names import result_filename  # noqa: F401 - re-exported
from inpaint_studio.api.retry import TRANSPORT_ERRORS, RetryPolicy, transport_error
from inpaint_studio.core.cancel import NEVER, Cancelled, CancelToken
from inpaint_studio.core.decode import load_audio, probe
from inpaint_studio.core.errors import AudioError

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024  # an upper bound: read1 returns whatever has arrived
_RANGE_TOTAL = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED = re.compile(r"bytes\s+\*/(\d+)")


def partial_path(target: Path) -> Path:
    """Where an interrupted download of `target` waits to be resumed."""
    return target.with_name(f".{target.name}.partial")


def download_file(session: requests.Session, url: str, target: str | os.PathLike[str], *,
                  timeout: float = 30.0, progress: Callable[[int, int], None] | None = None,
                  token: CancelToken = NEVER, verify: str = "decode",
                  retry: RetryPolicy | None = None, what: str = "The result server",
                  name: str | None = None, hops: HopRule | None = None) -> Path:
    """Fetch `url` into `target`. `verify` is "decode" (full decode, catches truncated audio),
    "probe" (header only), "midi" (a standard MIDI file that parses) or "none" (non-audio,
    e.g. covers). Breaks (resumed from the bytes
    already there) and busy answers are retried by `retry` (`RetryPolicy()` when not given).
    Messages call the host `what` and the file `name` (default: the target's name). A redirect
    is followed only where `hops` (default `HopRule(url)`) allows, checked hop by hop. Raises
    DownloadError (its `gave_up_after` set when the policy retried it) or Cancelled; a partial
    file is kept for a later resume unless it proved bad."""
    target = Path(target)
    name = name or target.name
    target.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(target)
    host = urlsplit(url).netloc or "the file host"
    checking = _probe_path(part, target)
    if checking.exists() and not part.exists():
        # A run killed while it checked the finished download: check it again, not fetch it.
        os.replace(checking, part)
    rule = hops or HopRule(url)

    def once() -> int | None:
        have = part.stat().st_size if part.exists() else 0
        try:
            try:
                return _fetch(session, url, part, have, timeout, progress, token, what, rule,
                              name)
            except _Restart:  # the server ignored or rejected our Range: start over from byte 0
                return _fetch(session, url, part, 0, timeout, progress, token, what, rule, name)
        except _Restart:
            raise DownloadError(f"{what} answers ranges inconsistently; {name} could not be "
                                "fetched.") from None
        except TRANSPORT_ERRORS as exc:
            log.info("download of %s broke after %d bytes: %s", name,
                     part.stat().st_size if part.exists() else 0, type(exc).__name__)
            raise transport_error(exc, host, timeout) from None

    try:
        total = (retry or RetryPolicy()).call(once, method="GET", token=token,
                                              what=f"download of {name}")
    except DownloadError:
        raise
    except ApiError as exc:
        kept = " What was fetched so far is kept." if part.exists() else ""
        err = DownloadError(f"Could not download {name}: {exc.user_message}{kept}",
                            status=exc.status)
        err.gave_up_after = exc.gave_up_after
        raise err from exc
    size = part.stat().st_size
    if total is not None and size != total:
        _discard(part)
        raise DownloadError(f"Only {size:,} of {total:,} bytes of {name} arrived.")
    _check_audio(part, target, verify, name)
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


def _get(session: requests.Session, url: str, headers: dict[str, str], timeout: float,
         rule: HopRule, what: str, name: str) -> requests.Response:
    """GET `url` following redirects by hand: each hop is checked by `rule` before it is
    connected to. A hop the rule refuses, or too many hops, is a final DownloadError."""
    for _ in range(MAX_HOPS + 1):
        resp = session.get(url, headers=headers, stream=True, timeout=timeout,
                           allow_redirects=False)
        if resp.status_code not in REDIRECTS or not resp.headers.get("Location"):
            return resp
        resp.close()
        nxt = urljoin(url, resp.headers["Location"])
        why = rule.refusal(nxt)
        if why:
            log.warning("not following a redirect of %s to %s: %s", name,
                        urlsplit(nxt).netloc, why)
            raise DownloadError(f"{what} redirected {name} elsewhere and it was not followed "
                                f"({why}).", status=resp.status_code)
        url = nxt
    raise DownloadError(f"{what} redirected {name} too many times.", status=resp.status_code)


def _fetch(session: requests.Session, url: str, part: Path, have: int, timeout: float,
           progress: Callable[[int, int], None] | None, token: CancelToken,
           what: str, rule: HopRule, name: str) -> int | None:
    """One attempt: GET (from byte `have` when there is a partial copy) and append to `part`.
    An answer that is not 200/206 raises its typed error (the policy decides on a retry)."""
    headers = {"Range": f"bytes={have}-"} if have else {}
    with _get(session, url, headers, timeout, rule, what, name) as resp:
        if resp.status_code == 416 and have:
            m = _UNSATISFIED.match(resp.headers.get("Content-Range", ""))
            if m and int(m.group(1)) == have:
                return have  # the copy is already complete (killed before its check)
            _discard(part)  # our partial copy is longer than the file: it is not the same file
            raise _Restart()
        if resp.status_code not in (200, 206):
            raise error_from_response(resp.status_code, resp.content, resp.headers, what=what)
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


def _check_audio(part: Path, target: Path, verify: str, name: str) -> None:
    if verify == "none":
        return
    if verify == "midi":
        _check_midi(part, name)
        return
    # ffmpeg picks the demuxer from content, but give it the right suffix for its probe too.
    probe_path = _probe_path(part, target)
    os.replace(part, probe_path)
    try:
        if verify == "probe":
            probe(probe_path)
        else:
            load_audio(probe_path)
    except AudioError as exc:
        _discard(probe_path)
        raise DownloadError(f"What was downloaded for {name} is not usable audio: {exc}") \
            from exc
    finally:
        if probe_path.exists():
            os.replace(probe_path, part)


def _check_midi(part: Path, name: str) -> None:
    """A standard MIDI file that parses to its end (mido), or DownloadError."""
    import mido  # noqa: PLC0415 - only for MIDI downloads

    try:
        with open(part, "rb") as fh:
            if fh.read(4) != b"MThd":
                raise ValueError("no MIDI header")
        mido.MidiFile(part)
    except Exception as exc:  # mido raises many kinds on a damaged file: all mean "not usable"
        _discard(part)
        raise DownloadError(f"What was downloaded for {name} is not a usable MIDI file: "
                            f"{exc}") from exc


def _probe_path(part: Path, target: Path) -> Path:
    """Where the finished download sits while it is checked."""
    return part.with_name(part.name + target.suffix)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


__all__ = ["download_file", "result_filename", "partial_path", "ApiError"]
