"""The one retry policy: which failures it retries, how far apart, for how long, and that it
stops when cancelled. Pauses go through an injected sleep and clock (no real waiting); the
last tests run it over loopback HTTP against a server that always answers 503."""

from __future__ import annotations

import http.server
import threading

import pytest

from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.errors import (
    ApiTimeout,
    AuthError,
    BadResponse,
    ConnectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    SubmitOutcomeUnknown,
)
from inpaint_studio.api.models import InpaintRequest
from inpaint_studio.api.retry import RetryPolicy
from inpaint_studio.core.cancel import Cancelled, CancelToken


class FakeTime:
    """An injected clock and sleep: a pause advances the clock and is recorded."""

    def __init__(self, cancel_on: int | None = None) -> None:
        self.now = 100.0
        self.pauses: list[float] = []
        self.cancel_on = cancel_on

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float, token: CancelToken) -> bool:
        self.pauses.append(seconds)
        self.now += seconds
        if self.cancel_on is not None and len(self.pauses) >= self.cancel_on:
            token.cancel()
        return token.cancelled


def policy(t: FakeTime, **kw) -> RetryPolicy:
    return RetryPolicy(sleep=t.sleep, clock=t.clock, **kw)


class Failing:
    """An attempt that raises the given errors in turn, then returns "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def busy(status: int = 503, **kw) -> ServerError:
    return ServerError(f"busy (HTTP {status})", status=status, **kw)


def test_default_backoff_doubles_to_its_cap_with_equal_jitter():
    for rand, factor in ((0.0, 0.5), (0.999999, 1.0)):
        t = FakeTime()
        attempt = Failing(*[busy() for _ in range(10)])
        with pytest.raises(ServerError) as info:
            policy(t, rand=lambda r=rand: r).call(attempt)
        assert attempt.calls == 6 and info.value.gave_up_after == 6
        assert t.pauses == pytest.approx([s * factor for s in (0.5, 1, 2, 4, 8)], rel=1e-5)
        assert "HTTP 503" in info.value.user_message
        assert "Gave up after 6 attempts" in info.value.user_message


def test_each_retryable_failure_is_retried_and_the_answer_returned():
    t = FakeTime()
    attempt = Failing(busy(429), busy(500), busy(502), busy(504),
                      ConnectionFailed("reset"), ApiTimeout("slow"))
    assert policy(t, attempts=7).call(attempt) == "ok"
    assert attempt.calls == 7
    garbled = Failing(BadResponse("half a JSON", status=200))
    assert policy(t).call(garbled) == "ok" and garbled.calls == 2


@pytest.mark.parametrize("error", [
    AuthError("no", status=401), NotFound("gone", status=404),
    BadResponse("redirected", status=302), ServerError("odd", status=501),
    BadResponse("not the documented shape", status=None), ValueError("a bug"),
])
def test_final_failures_are_raised_at_once(error):
    t = FakeTime()
    attempt = Failing(error)
    with pytest.raises(type(error)):
        policy(t).call(attempt)
    assert attempt.calls == 1 and t.pauses == []


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_unsafe_methods_are_never_retried(method):
    t = FakeTime()
    attempt = Failing(busy(503), busy(503))
    with pytest.raises(ServerError) as info:
        policy(t).call(attempt, method=method)
    assert attempt.calls == 1 and info.value.gave_up_after is None


def test_head_is_retried_like_get():
    t = FakeTime()
    assert policy(t).call(Failing(busy()), method="head") == "ok"
    assert len(t.pauses) == 1


def test_retry_after_replaces_the_backoff_and_a_long_one_stops_at_once():
    t = FakeTime()
    attempt = Failing(RateLimited("slow down", status=429, retry_after=7.0),
                      busy(503, retry_after=3.0))
    assert policy(t).call(attempt) == "ok"
    assert t.pauses == [7.0, 3.0]
    t = FakeTime()
    attempt = Failing(RateLimited("slow down", status=429, retry_after=600.0))
    with pytest.raises(RateLimited) as info:
        policy(t).call(attempt)
    assert attempt.calls == 1 and t.pauses == []
    assert "600 s" in info.value.user_message and info.value.gave_up_after == 1


def test_the_budget_ends_retries_before_a_pause_would_pass_it():
    t = FakeTime()
    attempt = Failing(*[busy(503, retry_after=20.0) for _ in range(10)])
    with pytest.raises(ServerError) as info:
        policy(t, attempts=10, budget_s=50.0).call(attempt)
    assert t.pauses == [20.0, 20.0]  # a third 20 s pause would end 60 s after the first failure
    assert attempt.calls == 3 and info.value.gave_up_after == 3


def test_cancel_during_a_pause_stops_without_another_attempt():
    t = FakeTime(cancel_on=2)
    attempt = Failing(*[busy() for _ in range(10)])
    with pytest.raises(Cancelled):
        policy(t).call(attempt, token=CancelToken())
    assert attempt.calls == 2
    token = CancelToken()
    token.cancel()
    untouched = Failing()
    with pytest.raises(Cancelled):
        policy(t).call(untouched, token=token)
    assert untouched.calls == 0


# -- over loopback HTTP ----------------------------------------------------------------------
class _Always503(http.server.BaseHTTPRequestHandler):
    """Answers every request 503 with Retry-After: 2, counting requests by method."""

    counts: dict[str, int]

    def _busy(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.counts[self.command] = self.counts.get(self.command, 0) + 1
        body = b'{"success": false, "message": "Service Unavailable"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Retry-After", "2")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _busy  # noqa: N815

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def always_503():
    counts: dict[str, int] = {}
    handler = type("Handler", (_Always503,), {"counts": counts})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/public", counts
    httpd.shutdown()
    httpd.server_close()


def test_a_get_against_an_always_503_server_stops_after_the_policys_attempts(always_503, key,
                                                                             clean):
    url, counts = always_503
    t = FakeTime()
    with MusicGPTClient(url, key, retry=policy(t)) as client:
        with pytest.raises(ServerError) as info:
            client.get_task("00000000-0000-0000-0000-000000000000")
    assert counts == {"GET": 6}
    assert t.pauses == [2.0] * 5  # the server's Retry-After, not the computed backoff
    assert "HTTP 503" in info.value.user_message and "Service Unavailable" in str(info.value)
    clean(info.value)


def test_the_paid_submit_is_sent_once_against_an_always_503_server(always_503, key, song):
    url, counts = always_503
    t = FakeTime()
    req = InpaintRequest(audio_path=str(song), prompt="p", replace_start_at=5.0,
                         replace_end_at=12.0)
    with MusicGPTClient(url, key, retry=policy(t)) as client:
        with pytest.raises(ServerError) as info:
            client.submit_inpaint(req)
    assert not isinstance(info.value, SubmitOutcomeUnknown)  # a 503 is the service refusing
    assert counts == {"POST": 1} and t.pauses == []
