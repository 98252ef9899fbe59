"""THE retry policy: the one place where a request the app makes on its own is tried again.

Every GET the client sends (status polls, key checks, re-reading a task) and every download (a
job's results, a song opened from an address, the local server fetching a task's `audio_url`)
goes through `RetryPolicy.call`. No layer above retries again: `MusicGPTClient.wait` does not
tolerate failed polls, and the job lifecycle does not re-poll or try another address after a
failure the policy has given up on. A failure that leaves `call` is final for that run (the job
stays resumable: Resume / Check again).

The policy (defaults of `RetryPolicy()`):

- **Methods.** Only safe, idempotent methods are retried: GET and HEAD. The paid
  `POST /v1/inpaint` is never retried automatically, whatever the answer (a repeat may be
  charged twice); `call(..., method="POST")` runs it exactly once.
- **What is retryable.** HTTP 429, 500, 502, 503 and 504; a connection refused, reset or cut
  mid-answer; a timeout; a 2xx answer whose body is garbled (not the JSON the API documents).
  Everything else (401/403, 402, 404, 409, 413, 422, other 4xx, a file that does not decode) is
  final at once.
- **Attempts.** 6 in all (the first try and 5 retries).
- **Backoff.** Exponential from 0.5 s, doubling per retry, capped at 8 s, with "equal jitter":
  each pause is a random point between half and all of 0.5, 1, 2, 4, 8 s. Before the last
  attempt at most 15.5 s have been spent waiting.
- **Retry-After.** A server's `Retry-After` (seconds or an HTTP date, on a 429 or 5xx) replaces
  the computed pause when it is at most 60 s; a longer one ends the retries at once (the
  message says when to try again) instead of hammering the server early.
- **Budget.** 90 s from the first failure: no pause is taken that would end after it. So a
  call ends at most 90 s plus two request timeouts after it began (150 s with the client's
  30 s timeout, for a server that hangs); against one that answers 503 at once, after at
  most 15.5 s of pauses.
- **Cancellation.** Pauses wait on the caller's `CancelToken`; cancelling ends a pause at once
  with `Cancelled`, and no attempt starts once the token is cancelled.
- **Giving up.** The last error is raised, its message ending with how many attempts were made
  and for how long (`ApiError.gave_up_after` = the number of attempts), so the last HTTP status
  (e.g. "HTTP 503") is in what the musician reads.

The bound for a whole job against a server that answers every request with 503 (tested over
loopback in tests/jobs/test_retry_bound.py): the submit POST is answered 503 and the job fails
after that 1 request. If only the status polls fail, the job's run stops after 1 POST + 6 GETs
= 7 requests (the documented goal is at most 12) and within 15.5 s of pauses plus the requests'
own time, the job keeping its stage (Resume polls again) with "HTTP 503" in its message. A
result host that keeps failing costs 6 attempts before the job fails saying why; the job does
not then try the version's other address or re-read the task, which would retry it again.

Tests make the policy instant and deterministic by injecting `sleep`, `clock` and `rand`."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
import urllib3

from inpaint_studio.api.errors import ApiError, ApiTimeout, BadResponse, ConnectionFailed
from inpaint_studio.core.cancel import NEVER, Cancelled, CancelToken

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Transport failures of requests/urllib3 that `transport_error` turns into a typed ApiError.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.HTTPError)

# sleep(seconds, token) → True when the token was cancelled during the pause.
Sleep = Callable[[float, CancelToken], bool]


def token_sleep(seconds: float, token: CancelToken) -> bool:
    """The real pause: wait on the token, so a cancel ends it at once."""
    return token.wait(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are tried again, how often, how far apart, and for how long. Immutable
    and shareable between threads; see the module docstring for the defaults and the bound."""

    attempts: int = 6
    base_s: float = 0.5
    cap_s: float = 8.0
    max_retry_after_s: float = 60.0
    budget_s: float = 90.0
    statuses: frozenset[int] = RETRY_STATUSES
    methods: frozenset[str] = SAFE_METHODS
    sleep: Sleep = token_sleep
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random

    def retryable(self, method: str, exc: BaseException) -> bool:
        """Whether `exc`, raised by one attempt of a `method` request, is worth another try."""
        if method.upper() not in self.methods or not isinstance(exc, ApiError):
            return False
        if isinstance(exc, ConnectionFailed | ApiTimeout):
            return True
        if isinstance(exc, BadResponse) and exc.status is not None and 200 <= exc.status < 300:
            return True  # a garbled answer to a safe request: ask again
        return exc.status in self.statuses

    def backoff(self, retry: int) -> float:
        """The pause before retry number `retry` (1 for the first): exponential, capped, with
        equal jitter (between half and all of the step)."""
        step = min(self.cap_s, self.base_s * 2 ** (retry - 1))
        return step * (0.5 + 0.5 * self.rand())

    def call(self, attempt: Callable[[], T], *, method: str = "GET", token: CancelToken = NEVER,
             what: str = "request") -> T:
        """Run `attempt` until it returns, retrying the failures this policy allows for
        `method` (an `ApiError` from `attempt`; anything else passes straight through).
        Raises the last error when giving up, `Cancelled` when `token` is cancelled."""
        first_failure: float | None = None
        tries = max(1, self.attempts)
        for n in range(1, tries + 1):
            token.raise_if_cancelled()
            try:
                return attempt()
            except ApiError as exc:
                if not self.retryable(method, exc):
                    raise
                now = self.clock()
                if first_failure is None:
                    first_failure = now
                elapsed = now - first_failure
                if n >= tries:
                    raise _gave_up(exc, n, elapsed, "") from None
                after = exc.retry_after
                if after is not None and after > self.max_retry_after_s:
                    raise _gave_up(exc, n, elapsed, f" It asked to wait {after:.0f} s.") from None
                pause = after if after is not None else self.backoff(n)
                if elapsed + pause > self.budget_s:
                    raise _gave_up(exc, n, elapsed, "") from None
                log.info("%s failed (%s%s; attempt %d of %d); trying again in %.1f s", what,
                         type(exc).__name__, f", HTTP {exc.status}" if exc.status else "", n,
                         tries, pause)
            if self.sleep(pause, token):
                raise Cancelled()
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _gave_up(exc: ApiError, attempts: int, elapsed: float, extra: str) -> ApiError:
    """`exc` marked as final: its message says how long the policy tried."""
    if attempts > 1:
        exc.user_message = (f"{exc.user_message} (Gave up after {attempts} attempts in "
                            f"{elapsed:.0f} s.{extra})")
    elif extra:
        exc.user_message = f"{exc.user_message} ({extra.strip()})"
    exc.args = (exc.user_message,)
    exc.gave_up_after = attempts
    return exc


def transport_error(exc: BaseException, host: str, timeout: float, *,
                    reached: bool = True) -> ApiError:
    """A requests/urllib3 transport failure as a typed error in words: `ApiTimeout` for a
    timeout, else `ConnectionFailed` saying whether it was refused, unresolvable or cut."""
    # A read timeout while the body streams can surface as a ConnectionError wrapping
    # urllib3's ReadTimeoutError: still a timeout to the musician.
    text = str(exc)
    if isinstance(exc, requests.Timeout) or "timed out" in text.lower():
        return ApiTimeout(f"{host} did not answer within {timeout:g} s. Check your "
                          "connection and try again.")
    if "refused" in text.lower():
        why = "the connection was refused (is the server running and the address right?)"
    elif "Name or service" in text or "resolve" in text.lower():
        why = "the host name could not be found (check the address and your connection)"
    else:
        why = "the connection broke (check your network and try again)"
    return ConnectionFailed(f"Could not talk to {host}: {why}.", reached_server=reached)
