"""Issue 13, finding 1: the API key never leaks. A hostile server on loopback echoes the key it
was sent (and a bearer token it makes up) in a FAILED task's message and in every error shape;
the key must appear in no exception, log line, stored field, CLI output or `jobs --json`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from inpaint_studio.api import errors as api_errors
from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.retry import RetryPolicy
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.core.redact import redact
from inpaint_studio.jobs.lifecycle import JobLifecycle
from inpaint_studio.jobs.store import JobStore, Stage
from tests.loopback import Loopback, QuietHandler

ROOT = Path(__file__).resolve().parents[2]
KEY = "zq7-ECHOED-account-key-5f3a9c1e"  # not "sk-…": must be masked because it is THE key
TOKEN = "Bearer eyJhbGciOiJIUzI1NiJ9.stolen"  # looks like a credential: masked too
SK = "sk-live-0123456789abcdef"  # a key-looking string the app was never told about
SECRETS = (KEY, "eyJhbGciOiJIUzI1NiJ9", SK)

# Every way a server can answer an error, each echoing what it was sent.
SHAPES = {
    "401": (401, lambda k: {"success": False, "message": f"Invalid key {k} ({TOKEN})"}),
    "402": (402, lambda k: {"success": False, "error": f"No credit for {k}", "available": 0}),
    "404": (404, lambda k: {"detail": f"unknown task for key {k}"}),
    "409": (409, lambda k: {"message": f"duplicate of {k}"}),
    "413": (413, lambda k: {"message": f"too large for {k}"}),
    "422": (422, lambda k: {"detail": [{"loc": ["body", k], "msg": f"bad {k} {SK}"}]}),
    "429": (429, lambda k: {"message": f"slow down {k}"}),
    "500": (500, lambda k: {"success": False, "messsage": f"crash while using {k}"}),
    "503": (503, lambda k: f"<html>upstream {k} {TOKEN}</html>"),
    "garbled": (200, lambda k: f"not json {k} {SK}"),
    "redirect": (302, lambda k: {"message": f"moved {k}"}),
    "byid-false": (200, lambda k: {"success": False, "message": f"key {k} unknown {SK}"}),
    "bad-shape": (200, lambda k: {"success": True, "conversion": f"{k}"}),
}


class Hostile:
    """A MusicGPT look-alike on 127.0.0.1 that accepts a submit, then answers `mode` to every
    GET: "failed" is a FAILED task whose message names the key; the others are SHAPES."""

    def __init__(self) -> None:
        self.mode = "failed"
        hostile = self

        class Handler(QuietHandler):
            def _send(self, status: int, body, extra: dict | None = None) -> None:
                raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.answer(status, raw, {"Content-Type": "application/json", **(extra or {})})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                while length > 0:
                    length -= len(self.rfile.read(min(length, 1 << 16)))
                self._send(200, {"success": True, "task_id": "t-1", "conversion_id_1": "c1",
                                 "conversion_id_2": "c2", "eta": 1,
                                 "message": "Queued for " + self.headers["Authorization"]})

            def do_GET(self) -> None:  # noqa: N802
                key = self.headers.get("Authorization", "")
                if hostile.mode == "failed":
                    q = parse_qs(urlsplit(self.path).query)
                    self._send(200, {"success": True, "conversion": {
                        "task_id": q.get("task_id", [""])[0], "status": "FAILED",
                        "message": f"Your key {key} has no credit ({TOKEN}, {SK})",
                        "conversion_id_1": "c1", "conversion_id_2": "c2"}})
                    return
                status, body = SHAPES[hostile.mode]
                extra = {"Location": f"https://elsewhere.example/?key={key}",
                         "Retry-After": "0"}
                self._send(status, body(key), extra)

        self.server = Loopback(Handler)
        self.base = self.server.base

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def hostile():
    h = Hostile()
    yield h
    h.close()


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _instant(seconds: float, token: CancelToken) -> bool:
    return token.cancelled


def test_redact_masks_the_remembered_key_bearer_tokens_and_sk_keys():
    from inpaint_studio.core.redact import remember

    remember(KEY)
    text = redact(f"a {KEY} b {TOKEN} c {SK} d task-abcdef12 e")
    assert _leaks(text) == [] and "task-abcdef12" in text and text.count("***") == 3


@pytest.mark.parametrize("mode", sorted(SHAPES))
def test_no_error_shape_leaks_the_key_into_exceptions_or_logs(hostile, mode, caplog):
    hostile.mode = mode
    caplog.set_level(logging.DEBUG)
    with MusicGPTClient(hostile.base, KEY, min_poll_interval=0.01,
                        retry=RetryPolicy(sleep=_instant)) as client:
        with pytest.raises(api_errors.ApiError) as info:
            client.get_task("t-1")
        exc = info.value
        logging.getLogger("inpaint_studio.test").error("job stopped: %s", exc, exc_info=exc)
    shown = " | ".join([str(exc), repr(exc), exc.user_message, json.dumps(exc.body),
                        caplog.text, *(r.getMessage() for r in caplog.records)])
    assert _leaks(shown) == [], shown


def test_a_failed_tasks_message_is_redacted_before_the_store_and_the_events(
        hostile, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    song = tmp_path / "song.wav"
    song.write_bytes(b"RIFF")  # never decoded: the hostile server accepts anything
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create(backend="musicgpt", base_url=hostile.base, source=str(song),
                       upload_path=str(song), start=1.0, end=3.0, params={"prompt": "p"})
    with MusicGPTClient(hostile.base, KEY, min_poll_interval=0.01,
                        retry=RetryPolicy(sleep=_instant)) as client:
        events = list(JobLifecycle(store, client, tmp_path / "cache").run(job.id))
    failed = store.get(job.id)
    assert failed.stage is Stage.FAILED and "has no credit" in failed.message
    store.close()
    raw = (tmp_path / "jobs.sqlite3").read_bytes()
    for path in tmp_path.glob("jobs.sqlite3*"):
        raw += path.read_bytes()
    shown = " | ".join([failed.message, *(e.job.message for e in events), caplog.text,
                        raw.decode("latin-1")])
    assert _leaks(shown) == [], [s for s in SECRETS if s in shown]


def test_cli_submit_wait_and_jobs_json_never_print_the_key(hostile, tmp_path):
    """As the issue reproduced it: `submit --backend musicgpt --wait`, then `jobs --json`."""
    from inpaint_studio.core.encode import encode_audio
    from inpaint_studio.core.synth import synth_song

    song = tmp_path / "song.wav"
    encode_audio(synth_song(8.0, bpm=120.0, seed=1), song)
    env = {k: v for k, v in os.environ.items() if k != "MUSICGPT_API_KEY"}
    env.update(INPAINT_STUDIO_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", MUSICGPT_API_KEY=KEY)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "inpaint_studio", *args], env=env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    sub = cli("submit", str(song), "--start", "2", "--end", "5", "--prompt", "warm piano",
              "--backend", "musicgpt", "--base-url", hostile.base, "--wait")
    listed = cli("jobs", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert rows and rows[0]["stage"] == "failed" and "has no credit" in rows[0]["message"]
    stored = b"".join(p.read_bytes() for p in (tmp_path / "home").rglob("jobs.sqlite3*"))
    shown = " | ".join([sub.stdout, sub.stderr, listed.stdout, listed.stderr,
                        stored.decode("latin-1")])
    assert _leaks(shown) == [], [s for s in SECRETS if s in shown]
