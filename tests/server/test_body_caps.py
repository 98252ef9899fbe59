"""Issue 13, finding 3: the local server caps bodies while reading. A 600 MB chunked multipart
upload and a 230 MB JSON body (chunked, or declared with Content-Length) are answered 413 before
more than the cap plus 1 MB has been read, and nothing is left in the uploads folder.

Bodies are streamed from generators that repeat one small block (nothing of that size is ever
in memory). What the server read is counted by a wrapper around its ASGI application (every
`http.request` message it received); a sender that sees the server read past cap + 1 MB stops
and closes its side, so a server without a cap fails the test at once rather than reading all."""

from __future__ import annotations

import contextlib
import select
import socket

import pytest

from inpaint_studio.server import runner as server_runner
from inpaint_studio.server.config import ServerConfig
from inpaint_studio.server.runner import LocalServer
from tests.server.conftest import KEY

MB = 1024 * 1024
UPLOAD_CAP = 8 * MB  # small, so each test reads little; the mechanism is the same at 200 MB
BLOCK = b"\0" * (64 * 1024)


class _Counted:
    """Counts the body bytes the server's application received (per request, the last one)."""

    def __init__(self, app) -> None:
        self.app, self.read = app, 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.read = 0

        async def counted():
            message = await receive()
            if message.get("type") == "http.request":
                self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    counted: list[_Counted] = []
    original = server_runner.create_app

    def wrap(state):
        counted.append(_Counted(original(state)))
        return counted[0]

    server_runner.create_app = wrap
    try:
        srv = LocalServer(tmp_path_factory.mktemp("capped"), KEY, engine="quick",
                          config=ServerConfig(max_upload_bytes=UPLOAD_CAP, workers=1))
        srv.start()
    finally:
        server_runner.create_app = original
    yield srv, counted[0]
    srv.stop()


def _send(base_url: str, head: dict[str, str], body, counter: _Counted, stop_at: int
          ) -> tuple[int | None, int]:
    """POST …/v1/inpaint over a raw socket, streaming `body` (an iterator of bytes, chunked
    unless `head` declares a Content-Length). Returns (the answer's status or None, bytes sent).
    Stops sending when the server answers, closes, or has read more than `stop_at` bytes."""
    host, port = base_url.split("//")[1].split("/")[0].split(":")
    path = "/" + base_url.split("//")[1].split("/", 1)[1] + "/v1/inpaint"
    chunked = "Content-Length" not in head
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Authorization: {KEY}",
             *(f"{k}: {v}" for k, v in head.items())]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            for block in body:
                if select.select([sock], [], [], 0)[0] or counter.read > stop_at:
                    break
                frame = (b"%x\r\n" % len(block)) + block + b"\r\n" if chunked else block
                sock.sendall(frame)
                sent += len(block)
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        with contextlib.suppress(OSError):
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
    status = answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.1 ") else None
    return (int(status) if status else None), sent


def _multipart(total: int):
    boundary = "capboundary"
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\np\r\n"
           f"--{boundary}\r\nContent-Disposition: form-data; name=\"replace_start_at\"\r\n\r\n1"
           f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"replace_end_at\"\r\n\r\n"
           f"3\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"audio_file\"; "
           f"filename=\"big.wav\"\r\nContent-Type: audio/wav\r\n\r\n").encode()
    for _ in range(total // len(BLOCK)):
        yield BLOCK
    yield f"\r\n--{boundary}--\r\n".encode()


def _json(total: int):
    yield b'{"prompt": "p", "replace_start_at": 1, "replace_end_at": 3, "lyrics": "'
    for _ in range(total // len(BLOCK)):
        yield b"a" * len(BLOCK)
    yield b'"}'


MULTIPART = {"Content-Type": "multipart/form-data; boundary=capboundary"}
JSON = {"Content-Type": "application/json"}


def _uploads(srv) -> list:
    return [p for p in (srv.store.root / "uploads").rglob("*") if p.is_file()]


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_a_600_mb_upload_is_refused_before_more_than_the_cap_is_read(capped, declared):
    srv, counter = capped
    before = _uploads(srv)
    head = dict(MULTIPART, **({"Content-Length": str(600 * MB)} if declared else {}))
    cap = UPLOAD_CAP + 1 * MB
    status, sent = _send(srv.base_url, head, _multipart(600 * MB), counter, stop_at=cap)
    assert counter.read <= cap, f"read {counter.read / MB:.1f} MB before refusing"
    assert status == 413
    if declared:
        assert counter.read == 0  # the declared length alone is enough
    assert _uploads(srv) == before  # nothing stored


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_a_230_mb_json_body_is_refused_before_more_than_the_cap_is_read(capped, declared):
    srv, counter = capped
    head = dict(JSON, **({"Content-Length": str(230 * MB)} if declared else {}))
    cap = getattr(srv.config, "max_json_bytes", 1 * MB) + 1 * MB  # 1 MB: the default
    status, sent = _send(srv.base_url, head, _json(230 * MB), counter, stop_at=cap)
    assert counter.read <= cap, f"read {counter.read / MB:.1f} MB before refusing"
    assert status == 413


def test_a_body_within_the_caps_is_still_read(capped, song):
    """A real upload under the cap is accepted as before (the cap counts, it does not cut)."""
    import requests

    srv, counter = capped
    with open(song, "rb") as fh:
        resp = requests.post(f"{srv.base_url}/v1/inpaint", headers={"Authorization": KEY},
                             data={"prompt": "p", "replace_start_at": 2, "replace_end_at": 6},
                             files={"audio_file": ("song.mp3", fh, "audio/mpeg")}, timeout=60)
    assert resp.status_code == 200, resp.text
    assert counter.read >= song.stat().st_size


def test_a_body_answered_before_its_end_is_not_read_to_its_end(capped):
    """A chunked 600 MB "multipart" body with no part in it is answered (422) long before the
    cap; the connection then closes, so the sender can push at most what the socket buffers
    hold — before, uvicorn read and threw away all 600 MB (the fault campaign found it)."""
    srv, _counter = capped
    host, port = srv.base_url.split("//")[1].split("/")[0].split(":")
    path = "/" + srv.base_url.split("//")[1].split("/", 1)[1] + "/v1/inpaint"
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {KEY}\r\n"
            "Content-Type: multipart/form-data; boundary=capboundary\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    frame = (b"%x\r\n" % len(BLOCK)) + BLOCK + b"\r\n"
    sent = 0
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(head)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while sent < 600 * MB:
                sock.sendall(frame)
                sent += len(BLOCK)
    assert sent < 64 * MB, f"the server took {sent / MB:.0f} MB of a body it had answered"
