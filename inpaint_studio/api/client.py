"""The MusicGPT client: submit an inpaint job, read its task, wait for it, download results.

Policy (replicate-python's, adapted): explicit timeouts; every GET and download is retried by
the one `RetryPolicy` of `api.retry` (which statuses, how often, backoff, Retry-After, budget)
and by nothing else here; the submit POST is never repeated once it may have reached the server
(it costs money) — that case is `SubmitOutcomeUnknown`. Every answer that is not a success goes
through `error_from_response`. The key is sent raw in `Authorization` (no "Bearer") and appears
in no log, message or repr."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path
from urllib.parse import urlsplit

import requests

from inpaint_studio.api.download import download_file
from inpaint_studio.api.errors import (
    ApiError,
    ApiTimeout,
    BadResponse,
    NotFound,
    RequestInvalid,
    SubmitOutcomeUnknown,
    error_from_response,
)
from inpaint_studio.api.hops import is_loopback
from inpaint_studio.api.models import InpaintRequest, Limits, SubmitResult, Task, TaskStatus
from inpaint_studio.api.multipart import MultipartBody
from inpaint_studio.api.plans import DEFAULT_BASE_URL, plan_named
from inpaint_studio.api.retry import TRANSPORT_ERRORS, RetryPolicy, transport_error
from inpaint_studio.core.cancel import NEVER, Cancelled, CancelToken
from inpaint_studio.core.redact import redact_data, remember
from inpaint_studio.identity import VERSION

log = logging.getLogger(__name__)



class _Pacer:
    """Keeps byId calls at least `gap` seconds apart across all threads using this client."""

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self._lock = threading.Lock()
        self._next = 0.0

    def wait_turn(self, token: CancelToken) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.gap
        if slot > now and token.wait(slot - now):
            raise Cancelled()


class MusicGPTClient:
    """One account on one base URL. Thread-safe for concurrent jobs (one requests.Session).
    `retry` is the policy for its GETs and downloads (`RetryPolicy()` when not given); `name`
    is what messages call the service ("MusicGPT", or "The local server" for the local
    backend), so a refusal names the backend that refused."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, api_key: str = "", *, plan: str = "pro",
                 timeout: float = 30.0, limits: Limits | None = None,
                 min_poll_interval: float = 1.0, max_poll_interval: float = 15.0,
                 max_unknown_polls: int = 50, retry: RetryPolicy | None = None,
                 name: str = "MusicGPT") -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"The API address {base_url!r} is not an http(s) URL.")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError("Refusing to send the API key over plain http to "
                             f"{parts.hostname}; use https (plain http is for 127.0.0.1 only).")
        if parts.username or parts.password or parts.query:
            raise ValueError("Put no credentials or query in the API address.")
        self.base_url = base_url.rstrip("/")
        self.plan = plan_named(plan)
        self.timeout = timeout
        self.limits = limits or Limits()
        self.min_poll_interval = max(min_poll_interval, self.plan.min_poll_interval)
        self.max_poll_interval = max(max_poll_interval, self.min_poll_interval)
        self.max_unknown_polls = max_unknown_polls
        self.retry = retry or RetryPolicy()
        self.name = name
        self._key = api_key
        remember(api_key)  # from now on no message, log line or stored field shows it
        self._pacer = _Pacer(self.plan.min_poll_interval)
        self._session = requests.Session()
        self._session.headers["User-Agent"] = f"inpaint-studio/{VERSION}"
        # No netrc (it would replace our Authorization header) — but keep the user's proxy and
        # CA bundle settings, which trust_env=False would otherwise drop as well.
        self._session.trust_env = False
        if not is_loopback(parts.hostname):  # a local server is never reached via a proxy
            self._session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self._session.verify = bundle

    def __repr__(self) -> str:
        return f"MusicGPTClient({self.base_url!r}, plan={self.plan.name!r}, key=***)"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> MusicGPTClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": self._key, "Accept": "application/json"}

    def _error(self, resp: requests.Response) -> ApiError:
        return error_from_response(resp.status_code, resp.content, resp.headers,
                                   what=self.name, secret=self._key or None)

    def _json(self, resp: requests.Response) -> dict:
        if not 200 <= resp.status_code < 300:
            raise self._error(resp)
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise error_from_response(resp.status_code, resp.content, resp.headers,
                                      what=self.name, secret=self._key or None)
        # Every answer is redacted as it arrives: a server may echo the key (or another
        # credential) in any field, a FAILED task's message included.
        return redact_data(data)

    def _connection_error(self, exc: Exception, *, reached: bool = True) -> ApiError:
        return transport_error(exc, urlsplit(self.base_url).netloc, self.timeout,
                               reached=reached)

    def _get(self, path: str, params: dict[str, str] | None = None, *,
             token: CancelToken = NEVER, pace: bool = False) -> dict:
        """A GET whose failures are retried by `self.retry` (and only there)."""

        def once() -> dict:
            if pace:
                self._pacer.wait_turn(token)
            try:
                # Never redirected (api.hops): a 3xx is reported as it is.
                resp = self._session.get(self._url(path), params=params, headers=self._auth(),
                                         timeout=self.timeout, allow_redirects=False)
            except TRANSPORT_ERRORS as exc:  # refused, reset, timed out, or a cut answer
                log.info("GET %s failed (%s)", path, type(exc).__name__)
                raise self._connection_error(exc) from None
            log.debug("GET %s -> %d", path, resp.status_code)
            return self._json(resp)

        return self.retry.call(once, method="GET", token=token, what=f"GET {path}")

    # -- the API ------------------------------------------------------------------------------
    def check_key(self) -> None:
        """GET /v1/ with the key: returns if accepted, else AuthError (or a transport error)."""
        self._get("v1/")

    def submit_inpaint(self, req: InpaintRequest,
                       progress: Callable[[int, int], None] | None = None,
                       token: CancelToken = NEVER,
                       client_job_id: str | None = None) -> SubmitResult:
        """Validate, then POST /v1/inpaint once (file streamed from disk, `progress(sent, total)`
        in bytes). Local errors → RequestInvalid before anything is sent. `client_job_id` (the
        local backend only: a local extension of the API) names the app's job, so the server
        never makes two tasks for it and `find_task_for_job` can find its task."""
        issues = [i for i in req.validate(self.limits) if i.severity == "error"]
        if issues:
            raise RequestInvalid(" ".join(i.message for i in issues),
                                 fields=[i.field for i in issues])
        token.raise_if_cancelled()
        body = MultipartBody(req.form_fields(), "audio_file" if req.audio_path else None,
                             req.audio_path, progress=progress, token=token)
        headers = {**self._auth(), "Content-Type": body.content_type}
        if client_job_id:
            headers["X-Client-Job-Id"] = client_job_id
        log.info("POST v1/inpaint (%d bytes, %s)", body.length,
                 "file upload" if req.audio_path else "audio_url")
        try:
            # No redirects: requests would send the POST again (307/308) or turn it into a GET
            # (301-303), a second request either way; a 3xx is reported as it is instead.
            resp = self._session.post(self._url("v1/inpaint"), data=body, headers=headers,
                                      timeout=self.timeout, allow_redirects=False)
        except Cancelled:
            raise
        except requests.ConnectionError as exc:
            if body.sent == 0 and not isinstance(exc, requests.exceptions.ChunkedEncodingError):
                # Nothing of the request left this machine: it certainly created no job.
                raise self._connection_error(exc, reached=False) from None
            raise self._unknown(exc) from None
        except requests.Timeout as exc:
            if isinstance(exc, requests.ConnectTimeout):
                raise self._connection_error(exc, reached=False) from None
            raise self._unknown(exc) from None
        except requests.RequestException as exc:
            raise self._unknown(exc) from None
        log.info("POST v1/inpaint -> %d", resp.status_code)
        if resp.status_code in (502, 504):
            # A gateway answered: the service behind it may have accepted the job.
            raise self._unknown(self._error(resp))
        data = self._json_submit(resp)
        if data.get("success") is False:
            raise RequestInvalid(
                f"{self.name} did not accept the job: "
                f"{data.get('message') or data.get('error') or data.get('reason') or 'no reason'}"
                ".", status=resp.status_code, body=data)
        try:
            return SubmitResult.from_wire(data)
        except ValueError:
            raise SubmitOutcomeUnknown(
                f"{self.name} accepted the request but its answer has no job id, so the job "
                "cannot be followed. Check your jobs there before submitting again.",
                status=resp.status_code, body=data) from None

    def _json_submit(self, resp: requests.Response) -> dict:
        try:
            return self._json(resp)
        except BadResponse as exc:
            if 200 <= resp.status_code < 300:
                raise self._unknown(exc) from None
            raise

    def _unknown(self, cause: Exception) -> SubmitOutcomeUnknown:
        if isinstance(cause, requests.RequestException):
            cause = self._connection_error(cause)  # in words, e.g. "did not answer within 30 s"
        detail = cause.user_message if isinstance(cause, ApiError) else type(cause).__name__
        return SubmitOutcomeUnknown(
            f"The upload may have reached {self.name}, but no usable answer came back "
            f"({detail}). The job may exist and cost credit, so it was not sent again: check "
            "your MusicGPT dashboard or wait for its webhook before resubmitting.")

    def get_task(self, task_id: str, *, token: CancelToken = NEVER) -> Task:
        """GET /v1/byId?conversionType=INPAINT&task_id=… (paced to the plan's rate)."""
        data = self._get("v1/byId", {"conversionType": "INPAINT", "task_id": task_id},
                         token=token, pace=True)
        if data.get("success") is False:
            raise NotFound(f"{self.name} does not know job {task_id}: "
                           f"{data.get('message') or data.get('error') or 'no details'}.",
                           status=200, body=data)
        try:
            return Task.from_wire(data)
        except ValueError as exc:
            raise BadResponse(f"{self.name}'s status answer is not in the documented shape ({exc})."
                              " The service may have changed; try again later.",
                              status=200, body=data) from None

    def find_task_for_job(self, client_job_id: str, *,
                          token: CancelToken = NEVER) -> Task | None:
        """The task the server made for the app's job `client_job_id` (sent with its submit),
        or None when it has none (the local server's extension of byId)."""
        try:
            data = self._get("v1/byId", {"conversionType": "INPAINT",
                                         "client_job_id": client_job_id}, token=token, pace=True)
        except NotFound:
            return None
        try:
            return Task.from_wire(data)
        except ValueError as exc:
            raise BadResponse(f"{self.name}'s status answer is not in the documented shape "
                              f"({exc}).", status=200, body=data) from None

    def poll_interval(self, eta: int | None, elapsed: float, polls: int) -> float:
        """Seconds until the next poll: a tenth of the ETA (3 s without one), slowing down
        once the ETA has passed, never under the plan's byId rate nor over max_poll_interval."""
        base = 3.0 if eta is None or eta <= 0 else eta / 10.0
        if eta and elapsed > eta:
            base *= min(4.0, 1.0 + (elapsed - eta) / max(eta, 1.0))
        return max(self.min_poll_interval, min(self.max_poll_interval, base))

    def wait(self, task_id: str, *, eta: int | None = None, deadline_s: float = 1800,
             token: CancelToken = NEVER) -> Generator[Task, None, Task]:
        """Poll until the task is terminal: yields every Task read, returns the terminal one.
        Each poll is retried by the retry policy; a poll that still fails ends the wait with its
        error (nothing here retries it again). An unknown status is tolerated up to
        `max_unknown_polls` times. ApiTimeout at the deadline, Cancelled on cancel."""
        start = time.monotonic()
        polls = unknown = 0
        while True:
            token.raise_if_cancelled()
            task = self.get_task(task_id, token=token)
            polls += 1
            yield task
            if task.status.is_terminal:
                return task
            unknown = unknown + 1 if task.status is TaskStatus.UNKNOWN else 0
            if unknown >= self.max_unknown_polls:
                raise BadResponse(f"{self.name} kept reporting an unknown status "
                                  f"{task.status_text!r} for job {task_id}; stopped waiting.")
            elapsed = time.monotonic() - start
            if elapsed >= deadline_s:
                raise ApiTimeout(f"Job {task_id} did not finish within {deadline_s / 60:.0f} "
                                 "minutes. It may still finish: check again later.")
            pause = min(self.poll_interval(eta, elapsed, polls), deadline_s - elapsed)
            if token.wait(max(0.0, pause)):
                raise Cancelled()

    def download(self, url: str, target: Path, *, progress: Callable[[int, int], None] | None
                 = None, token: CancelToken = NEVER, verify: str = "decode",
                 retry: RetryPolicy | None = None) -> Path:
        """Stream a result file into `target` (Range-resumed, verified, atomically renamed).
        The key is not sent: result URLs are public CDN links. Redirects are followed only
        where `api.hops.HopRule` allows, hop by hop."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError(f"The result address {url[:80]!r} is not an http(s) URL.")
        return download_file(self._session, url, target, timeout=self.timeout,
                             progress=progress, token=token, verify=verify,
                             retry=retry or self.retry)
