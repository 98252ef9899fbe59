"""Typed errors of the MusicGPT client, and THE one function that turns a response into one.

Every error carries `user_message`: a sentence a musician can act on (also `str(err)`). The API key
never appears in any message: every error's message and kept body go through `core.redact`
(the remembered key, bearer tokens, `sk-…` keys), and `error_from_response` also scrubs the
secret it is given."""

from __future__ import annotations

import datetime
import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

from inpaint_studio.core.redact import redact, redact_data

_SNIPPET = 160


class ApiError(Exception):
    """Base of every client error. `status` is the HTTP status when there was a response;
    `retry_after` the seconds a 429 or 5xx answer asked to wait (its `Retry-After`), if any;
    `gave_up_after` the number of attempts when the retry policy (`api.retry`) has already
    retried this failure and given up on it (None when it was never retried)."""

    def __init__(self, user_message: str, *, status: int | None = None,
                 body: Any = None, retry_after: float | None = None) -> None:
        user_message = redact(str(user_message))
        super().__init__(user_message)
        self.user_message = user_message
        self.status = status
        # the parsed JSON (or a text snippet) the server answered, for logs
        self.body = redact_data(body)
        self.retry_after = retry_after
        self.gave_up_after: int | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, {self.user_message!r})"


class AuthError(ApiError):
    """401/403: the key is missing, wrong, or lacks permission."""


class CreditError(ApiError):
    """402: the balance does not cover the job."""

    def __init__(self, user_message: str, *, required: float | None = None,
                 available: float | None = None, **kw: Any) -> None:
        super().__init__(user_message, **kw)
        self.required = required
        self.available = available


class NotFound(ApiError):
    """404: unknown task/conversion id or result file."""


class Conflict(ApiError):
    """409: the server reports a conflict or duplicate."""


class RequestInvalid(ApiError):
    """422 from the server, or a local validation failure; `fields` names the fields at fault."""

    def __init__(self, user_message: str, *, fields: list[str] | None = None, **kw: Any) -> None:
        super().__init__(user_message, **kw)
        self.fields = list(fields or [])


class RateLimited(ApiError):
    """429: too many requests or too many parallel jobs; `retry_after` in seconds if given."""


class ServerError(ApiError):
    """5xx: the service failed."""


class ApiTimeout(ApiError):
    """No answer in time (a request timeout, or a job past its deadline)."""


class ConnectionFailed(ApiError):
    """The connection was refused, reset or dropped. `reached_server` is False when the request
    certainly never arrived (so even a submit could be sent again)."""

    def __init__(self, user_message: str, *, reached_server: bool = True, **kw: Any) -> None:
        super().__init__(user_message, **kw)
        self.reached_server = reached_server


class BadResponse(ApiError):
    """The answer was not JSON, or not the JSON the API documents."""


class SubmitOutcomeUnknown(ApiError):
    """The submit POST may have reached the server but no usable answer came back. The job may
    exist (and cost money): never resubmit automatically; look for it first."""


class DownloadError(ApiError):
    """A result file could not be fetched completely or does not decode."""


def _body_json(body: bytes | str | None) -> Any:
    if body is None:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _scrub(text: str, secret: str | None) -> str:
    if secret and secret in text:
        text = text.replace(secret, "***")
    return redact(text)


def _scrub_data(data: Any, secret: str | None) -> Any:
    """`data` (parsed JSON) with `secret` replaced in every string, keys included: the body is
    kept on the error for logs, and a server may echo the key it rejected."""
    if not secret:
        return redact_data(data)
    if isinstance(data, str):
        return _scrub(data, secret)
    if isinstance(data, Mapping):
        return {_scrub(str(k), secret): _scrub_data(v, secret) for k, v in data.items()}
    if isinstance(data, list):
        return [_scrub_data(v, secret) for v in data]
    return data


def snippet(body: bytes | str | None, secret: str | None = None) -> str:
    """The first characters of a body, printable, for messages about unexpected answers."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    text = _scrub(text, secret)
    return text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else "")


def server_text(data: Any) -> str:
    """The server's own explanation: `message`, then `error`, then `detail` (also the spec's
    misspelt `messsage` and the legacy `status_msg`)."""
    if not isinstance(data, Mapping):
        return ""
    for key in ("message", "messsage", "error", "status_msg"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    detail = data.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, Mapping):
                parts.append(f"{_loc_field(item.get('loc'))}: {item.get('msg', 'invalid')}")
        return "; ".join(parts)
    return ""


def _loc_field(loc: Any) -> str:
    if isinstance(loc, list | tuple) and loc:
        return str(loc[-1])
    return str(loc or "request")


def _fields_422(data: Any, text: str) -> list[str]:
    fields: list[str] = []
    if isinstance(data, Mapping):
        detail = data.get("detail")
        if isinstance(detail, list):
            fields = [_loc_field(d.get("loc")) for d in detail if isinstance(d, Mapping)]
        missing = data.get("missing_input_fields")
        if isinstance(missing, str) and missing:
            fields += [f.strip() for f in missing.split(",") if f.strip()]
    if not fields:
        # The documented body only has a sentence; name the fields it talks about.
        known = ("audio_file", "audio_url", "prompt", "replace_start_at", "replace_end_at",
                 "lyrics_section_to_replace", "lyrics", "gender", "num_outputs")
        fields = [f for f in known if f in text]
        if "replace range" in text:
            fields += [f for f in ("replace_start_at", "replace_end_at") if f not in fields]
    return list(dict.fromkeys(fields))


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def retry_after_seconds(headers: Mapping[str, str] | None,
                        now: float | None = None) -> float | None:
    """`Retry-After` as seconds from `now`: the delta form, or an HTTP date (RFC 9110 §10.2.3).
    None when absent or unreadable."""
    if not headers:
        return None
    value = headers.get("Retry-After") or headers.get("retry-after")
    seconds = _number(value)
    if seconds is None and value:
        try:
            when = email.utils.parsedate_to_datetime(str(value))
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT
            when = when.replace(tzinfo=datetime.timezone.utc)
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if seconds is not None else None


def error_from_response(status: int, body: bytes | str | None,
                        headers: Mapping[str, str] | None = None, *, what: str = "MusicGPT",
                        secret: str | None = None) -> ApiError:
    """THE mapping from an HTTP answer that is not a success to a typed error with a message a
    musician can act on. Also handles a 2xx whose body is not the expected JSON object."""
    data = _scrub_data(_body_json(body), secret)
    said = _scrub(server_text(data), secret)
    quoted = f": {said}" if said else ""
    kw: dict[str, Any] = {"status": status, "body": data if data is not None
                          else snippet(body, secret)}
    if 200 <= status < 300:
        return BadResponse(
            f"{what} answered with something that is not the expected JSON "
            f"(HTTP {status}: {snippet(body, secret) or 'empty body'!r}). The service may be "
            "having trouble, or the base URL in Settings may point to the wrong place.", **kw)
    if 300 <= status < 400:  # redirects are never followed (a submit must go out once)
        where = (headers or {}).get("Location") or (headers or {}).get("location") or ""
        to = f" to {_scrub(where, secret)[:120]}" if where else ""
        return BadResponse(
            f"{what} redirected the request (HTTP {status}{to}) and it was not followed. Check "
            "the base URL in Settings: it should be the address the service now answers at.",
            **kw)
    if status in (401, 403):
        return AuthError(
            f"{what} rejected the API key (HTTP {status}{quoted}). Check the key in Settings "
            "(MusicGPT keys are shown on your musicgpt.com API page).", **kw)
    if status == 402:
        req = avail = None
        if isinstance(data, Mapping):
            req = _number(data.get("required_credits", data.get("required")))
            avail = _number(data.get("available_credits", data.get("available")))
        need = ""
        if req is not None or avail is not None:
            need = (f" This job needs {req:g}" if req is not None else " This job needs more") + (
                f", your balance is {avail:g}." if avail is not None else ".")
        return CreditError(
            f"Not enough credit on the {what} account (HTTP 402{quoted}).{need} Top up the "
            "balance, or use the local backend, which costs nothing.",
            required=req, available=avail, **kw)
    if status == 404:
        return NotFound(
            f"{what} does not know this item (HTTP 404{quoted}). It may have expired "
            "(results are kept for a limited time) or the id may be wrong.", **kw)
    if status == 409:
        return Conflict(
            f"{what} reports a conflict (HTTP 409{quoted}): the same request may already be "
            "running. Check your jobs before sending it again.", **kw)
    if status == 413:
        return RequestInvalid(
            f"The song file is too large for {what} (HTTP 413{quoted}). Export a shorter or "
            "compressed copy (e.g. MP3) and submit that.", fields=["audio_file"], **kw)
    if status in (400, 422):
        fields = _fields_422(data, said)
        named = f" Check: {', '.join(fields)}." if fields else ""
        return RequestInvalid(
            f"{what} rejected the request (HTTP {status}{quoted}).{named}", fields=fields, **kw)
    if status == 429:
        after = retry_after_seconds(headers)
        when = f"in {after:g} s" if after is not None else "in a minute"
        return RateLimited(
            f"Too many requests to {what} (HTTP 429{quoted}). Try again {when}; plans limit "
            "the jobs running at once (free 1, plus 3, pro 10) and status checks per minute.",
            retry_after=after, **kw)
    if status >= 500:
        return ServerError(
            f"{what} had a server error (HTTP {status}{quoted}). This is on their side; try "
            "again in a few minutes.", retry_after=retry_after_seconds(headers), **kw)
    return BadResponse(f"{what} answered HTTP {status} unexpectedly{quoted}.", **kw)
