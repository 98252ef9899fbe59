"""The streaming multipart body: correct wire format, constant memory, progress, cancel."""

from __future__ import annotations

import email.parser
import email.policy
import tracemalloc

import pytest

from inpaint_studio.api.multipart import MultipartBody
from inpaint_studio.core.cancel import Cancelled, CancelToken


def parse(body: MultipartBody, data: bytes) -> dict[str, tuple[str | None, bytes]]:
    head = f"Content-Type: {body.content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + data)
    return {part.get_param("name", header="content-disposition"):
            (part.get_filename(), part.get_payload(decode=True)) for part in msg.iter_parts()}


def test_fields_and_file_on_the_wire(tmp_path):
    song = tmp_path / 'my "song".mp3'
    payload = bytes(range(256)) * 1000
    song.write_bytes(payload)
    body = MultipartBody([("prompt", "ünïcode prompt"), ("replace_start_at", "1.5")],
                         "audio_file", song)
    data = b"".join(body)
    assert len(data) == len(body) == body.length
    parts = parse(body, data)
    assert parts["prompt"] == (None, "ünïcode prompt".encode())
    assert parts["replace_start_at"][1] == b"1.5"
    assert parts["audio_file"][1] == payload
    assert b"Content-Type: audio/mpeg" in data


def test_large_file_streams_in_constant_memory_with_progress(tmp_path):
    song = tmp_path / "big.wav"
    size = 24 * 1024 * 1024
    with open(song, "wb") as fh:
        fh.truncate(size)  # sparse: 24 MB of zeros without writing them
    seen: list[tuple[int, int]] = []
    body = MultipartBody([("prompt", "p")], "audio_file", song,
                         progress=lambda done, total: seen.append((done, total)))
    tracemalloc.start()
    total = 0
    while chunk := body.read(16384):
        total += len(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total == body.length > size
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes while streaming {size} bytes"
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and dones[-1] == body.length
    assert {t for _, t in seen} == {body.length}


def test_cancel_stops_the_upload_at_the_next_block(tmp_path):
    song = tmp_path / "big.wav"
    with open(song, "wb") as fh:
        fh.truncate(4 * 1024 * 1024)
    token = CancelToken()
    body = MultipartBody([("prompt", "p")], "audio_file", song, token=token)
    body.read(100_000)
    token.cancel()
    with pytest.raises(Cancelled):
        while body.read(65536):
            pass
    assert body.sent < body.length
