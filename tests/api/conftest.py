"""Fixtures for the client tests: a real local server on loopback (fast test engine), a song,
and a guard that fails any test whose log records contain the API key."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.retry import RetryPolicy
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.server.config import ServerConfig
from inpaint_studio.server.runner import LocalServer

KEY = "sk-local-TEST-key-7f3a9c1d5e"
# The client fixture's retry policy: 4 attempts, pauses of at most 0.05-0.2 s.
FAST_RETRY = RetryPolicy(attempts=4, base_s=0.05)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1]) + " " + str(record.exc_info[1])
        self.texts.append(text)


@pytest.fixture(autouse=True)
def key_never_logged():
    """Every log record of every test (DEBUG and up, all loggers) must be free of the key."""
    handler = _Collect()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old)
    leaked = [t for t in handler.texts if KEY in t]
    assert leaked == [], "the API key appeared in a log record"


def assert_clean(exc: BaseException) -> None:
    """The key is in neither the message nor the repr of an error (nor its cause)."""
    while exc is not None:
        assert KEY not in str(exc) and KEY not in repr(exc)
        assert KEY not in getattr(exc, "user_message", "")
        exc = exc.__cause__ or exc.__context__


@pytest.fixture(scope="session")
def song(tmp_path_factory) -> Path:
    """A 20 s stereo MP3 (two tones a fifth apart)."""
    path = tmp_path_factory.mktemp("songs") / "song.mp3"
    encode_audio(two_tones(20.0), path)
    return path


def two_tones(seconds: float, rate: int = 44100) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    rows = [0.25 * np.sin(2 * np.pi * f * t) for f in (440.0, 660.0)]
    return Audio(np.asarray(rows, dtype=np.float32), rate)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server per test module; tests reset its faults and settings they change."""
    srv = LocalServer(tmp_path_factory.mktemp("server"), KEY, engine="quick",
                      config=ServerConfig(version_delay_s=0.3, eta_base_s=1.0,
                                          eta_per_song_s=0.02))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def live(server):
    """The module's server with faults cleared before and after the test."""
    server.faults.clear()
    yield server
    server.faults.clear()


@pytest.fixture
def client(live):
    c = MusicGPTClient(live.base_url, KEY, min_poll_interval=0.05, retry=FAST_RETRY)
    yield c
    c.close()


@pytest.fixture
def key() -> str:
    return KEY


@pytest.fixture
def clean():
    """`clean(exc)` asserts the key is nowhere in an error's text, repr or causes."""
    return assert_clean


@pytest.fixture(scope="module")
def file_host(tmp_path_factory):
    """A plain loopback HTTP server for static files (the `audio_url` of a request)."""
    import functools
    import http.server
    import threading

    root = tmp_path_factory.mktemp("hosted")
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(__import__("http.server").server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass
