"""Issue 13, finding 2: no redirect leads anywhere a direct request could not go. A redirecting
server on 127.0.0.1 points at the cloud metadata address (169.254.169.254) and at another
loopback address (127.0.0.2); every connect the process makes is recorded (an audit hook on
`socket.connect`, which also refuses anything but 127.0.0.1 so nothing leaves the machine), and
none may go anywhere but 127.0.0.1 — for the local server's webhooks and `audio_url` fetches and
for the client's result downloads."""

from __future__ import annotations

import contextlib
import sys
import threading

import pytest

from inpaint_studio.api import errors as api_errors
from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.retry import RetryPolicy
from inpaint_studio.core.cancel import CancelToken
from tests.loopback import Loopback, QuietHandler
from tests.server.conftest import KEY

TARGETS = ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.2:{port}/x.mp3")


class _Connects:
    """Every (host, port) connected to while `active`; non-127.0.0.1 targets are refused."""

    def __init__(self) -> None:
        self.active = False
        self.seen: list[tuple[str, int]] = []
        self.lock = threading.Lock()

    def hook(self, event: str, args: tuple) -> None:
        if event != "socket.connect" or not self.active:
            return
        address = args[1]
        if not (isinstance(address, tuple) and len(address) >= 2):
            return
        with self.lock:
            self.seen.append((str(address[0]), int(address[1])))
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"test: connect to {address[0]} blocked")

    def off_loopback(self) -> list[tuple[str, int]]:
        with self.lock:
            return [a for a in self.seen if a[0] != "127.0.0.1"]


CONNECTS = _Connects()
sys.addaudithook(CONNECTS.hook)  # cannot be removed; inert unless a test activates it


@contextlib.contextmanager
def recording():
    CONNECTS.seen.clear()
    CONNECTS.active = True
    try:
        yield CONNECTS
    finally:
        CONNECTS.active = False


@pytest.fixture(params=TARGETS, ids=["metadata", "127.0.0.2"])
def redirector(request):
    """A 127.0.0.1 server answering every GET and POST with a redirect to the target."""
    hits: list[str] = []

    class Handler(QuietHandler):
        def _redirect(self) -> None:
            hits.append(f"{self.command} {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.answer(307 if self.command == "POST" else 302, headers={
                "Location": request.param.format(port=self.server.server_port)})

        do_GET = do_POST = _redirect  # noqa: N815

    host = Loopback(Handler)
    yield host.base, hits
    host.close()


def _instant(seconds: float, token: CancelToken) -> bool:
    return token.cancelled


def test_the_servers_audio_url_fetch_does_not_follow_a_redirect_off_its_address(
        api, redirector):
    base, hits = redirector
    with recording() as connects:
        task_id = api.submit(None, audio_url=f"{base}/song.mp3").json()["task_id"]
        conv = api.wait(task_id)[-1]["conversion"]
    assert conv["status"] == "FAILED"
    assert hits == ["GET /song.mp3"]  # asked once: a refused redirect is final
    assert connects.off_loopback() == []


def test_the_servers_webhooks_do_not_follow_a_redirect(api, live, song, redirector):
    base, hits = redirector
    before = len(live.webhooks.delivered)
    with recording() as connects:
        task_id = api.submit(song, webhook_url=f"{base}/hook").json()["task_id"]
        assert api.wait(task_id)[-1]["conversion"]["status"] == "COMPLETED"
        for _ in range(1200):  # a hang guard, not a timing bound
            if len(live.webhooks.delivered) >= before + 2:  # one per version
                break
            threading.Event().wait(0.05)
    assert connects.off_loopback() == []
    assert all(h.startswith("POST /hook") for h in hits)
    assert [s for _, s in live.webhooks.delivered[before:]] == [307, 307]


def test_the_clients_result_download_does_not_follow_a_redirect_off_the_server(
        redirector, tmp_path):
    base, hits = redirector
    with recording() as connects, MusicGPTClient(
            base, KEY, retry=RetryPolicy(sleep=_instant)) as client:
        with pytest.raises(api_errors.DownloadError) as info:
            client.download(f"{base}/files/v1.mp3", tmp_path / "v1.mp3")
    assert "not followed" in info.value.user_message
    assert hits == ["GET /files/v1.mp3"]
    assert connects.off_loopback() == []


def test_the_clients_api_calls_do_not_follow_a_redirect(redirector):
    base, hits = redirector
    with recording() as connects, MusicGPTClient(
            base, KEY, retry=RetryPolicy(sleep=_instant)) as client:
        with pytest.raises(api_errors.BadResponse):
            client.get_task("t-1")
    assert len(hits) == 1 and connects.off_loopback() == []


@pytest.fixture
def hostile_proxy(monkeypatch):
    """A proxy off this machine named in the environment, as a user's shell may have it."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://10.255.255.1:3128")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_loopback_fetches_and_webhooks_never_go_through_an_environment_proxy(
        live, song, hostile_proxy, receiver):
    import requests

    direct = requests.Session()
    direct.trust_env = False  # the test's own requests go straight to the server
    head = {"Authorization": KEY}
    form = {"prompt": "p", "replace_start_at": 2.0, "replace_end_at": 6.0}
    song_host = receiver.url.rsplit("/", 1)[0]  # a loopback host with no such song

    def wait(task_id: str) -> str:
        for _ in range(1200):  # a hang guard, not a timing bound
            conv = direct.get(f"{live.base_url}/v1/byId", headers=head, timeout=30, params={
                "conversionType": "INPAINT", "task_id": task_id}).json()["conversion"]
            if conv["status"] in ("COMPLETED", "FAILED"):
                return conv["status"]
            threading.Event().wait(0.05)
        raise AssertionError("the task did not end")

    with recording() as connects:
        with open(song, "rb") as fh:
            hooked = direct.post(f"{live.base_url}/v1/inpaint", headers=head,
                                 data={**form, "webhook_url": receiver.url},
                                 files={"audio_file": ("s.mp3", fh, "audio/mpeg")},
                                 timeout=60).json()["task_id"]
        fetched = direct.post(f"{live.base_url}/v1/inpaint", headers=head, timeout=60,
                              data={**form, "audio_url": f"{song_host}/song.mp3"}
                              ).json()["task_id"]
        assert wait(hooked) == "COMPLETED"
        wait(fetched)
        for _ in range(1200):  # a hang guard, not a timing bound
            if len(receiver.posts) >= 2:
                break
            threading.Event().wait(0.05)
    direct.close()
    assert connects.off_loopback() == []
    assert len(receiver.posts) >= 2  # the webhooks were delivered, directly
