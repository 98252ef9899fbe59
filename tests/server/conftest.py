"""Fixtures for the server tests: a local server on loopback (fast test engine), a song, raw
HTTP helpers, the OpenAPI document, and a loopback webhook receiver."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import requests

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.server.config import ServerConfig
from inpaint_studio.server.runner import LocalServer
from tests.loopback import Loopback, QuietHandler

KEY = "sk-local-SERVER-key-90ab12cd"
SPEC = json.loads((Path(__file__).parents[1] / "data" / "openapi.json").read_text())


def response_schema(path: str, method: str, status: int) -> dict:
    return SPEC["paths"][path][method]["responses"][str(status)]["content"][
        "application/json"]["schema"]


def check_schema(path: str, method: str, resp: requests.Response) -> dict:
    """The answer is JSON valid against the spec's schema for its path, method and status."""
    body = resp.json()
    jsonschema.validate(body, response_schema(path, method, resp.status_code))
    return body


def documented(path: str, method: str, resp: requests.Response) -> requests.Response:
    """Validate every answer whose status the spec documents for this path; the others must
    be the bodies the API notes give (checked by the tests themselves)."""
    if str(resp.status_code) in SPEC["paths"][path][method]["responses"]:
        check_schema(path, method, resp)
    else:
        assert resp.json()["success"] is False  # 401/402/404/413/429: an error body
    return resp


@pytest.fixture(scope="session")
def song(tmp_path_factory) -> Path:
    rate = 44100
    t = np.arange(int(12.0 * rate)) / rate
    audio = Audio(np.asarray([0.25 * np.sin(2 * np.pi * f * t) for f in (330.0, 495.0)],
                             dtype=np.float32), rate)
    path = tmp_path_factory.mktemp("songs") / "song.mp3"
    encode_audio(audio, path)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = LocalServer(tmp_path_factory.mktemp("server"), KEY, engine="quick",
                      config=ServerConfig(version_delay_s=0.2, eta_base_s=1.0,
                                          eta_per_song_s=0.02, workers=1))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def live(server):
    server.faults.clear()
    yield server
    server.faults.clear()


class Api:
    """Raw HTTP against one server, the way any client would talk to it."""

    def __init__(self, server: LocalServer, key: str = KEY) -> None:
        self.server, self.key = server, key
        self.base = server.base_url

    def headers(self) -> dict[str, str]:
        return {"Authorization": self.key}

    def submit(self, song: Path | None = None, **fields) -> requests.Response:
        data = {"prompt": "p", "replace_start_at": 2.0, "replace_end_at": 6.0, **fields}
        if song is None:
            resp = requests.post(f"{self.base}/v1/inpaint", headers=self.headers(), data=data,
                                 timeout=30)
        else:
            with open(song, "rb") as fh:
                resp = requests.post(f"{self.base}/v1/inpaint", headers=self.headers(),
                                     data=data, files={"audio_file": (song.name, fh,
                                                                      "audio/mpeg")}, timeout=30)
        return documented("/v1/inpaint", "post", resp)

    def by_id(self, **params) -> requests.Response:
        params.setdefault("conversionType", "INPAINT")
        resp = requests.get(f"{self.base}/v1/byId", headers=self.headers(), params=params,
                            timeout=30)
        return documented("/v1/byId", "get", resp)

    def wait(self, task_id: str, until=("COMPLETED", "FAILED"), timeout: float = 60) -> list:
        """Every byId answer (JSON) until the status is one of `until`."""
        import time

        seen = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            resp = self.by_id(task_id=task_id)
            assert resp.status_code == 200, resp.text
            seen.append(check_schema("/v1/byId", "get", resp))
            if seen[-1]["conversion"]["status"] in until:
                return seen
            time.sleep(0.05)
        raise AssertionError(f"task {task_id} still {seen[-1]['conversion']['status']}")


@pytest.fixture
def api(live) -> Api:
    return Api(live)


class Receiver:
    """A loopback webhook receiver: records each JSON POST; answers `status`."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.status = 200
        # A hung receiver: while `hold` is set, every POST waits (up to 30 s) for `release`
        # before it is answered; `answered` counts the POSTs answered so far.
        self.hold = False
        self.release = threading.Event()
        self.answered = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.posts.append({"json": json.loads(body),
                                           "type": self.headers.get("Content-Type")})
                if receiver.hold:
                    receiver.release.wait(30.0)
                with receiver.lock:
                    receiver.answered += 1
                self.answer(receiver.status)

        self.server = Loopback(Handler)
        self.url = f"{self.server.base}/hook"

    def close(self) -> None:
        self.release.set()
        self.server.close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()
