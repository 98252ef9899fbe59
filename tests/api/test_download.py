"""Downloads against hosts that misbehave in ways the local server's faults do not cover:
a busy host (503 then success) and a trickling one (cancel must not wait for the next chunk)."""

from __future__ import annotations

import http.server
import threading
import time

import pytest
import requests

from inpaint_studio.api.download import download_file, partial_path, result_filename
from inpaint_studio.api.errors import DownloadError
from inpaint_studio.core.cancel import Cancelled, CancelToken


class _Trickle(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(1 << 20))
        self.end_headers()
        try:
            for _ in range(200):
                self.wfile.write(b"\0" * 1024)
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args) -> None:
        pass


def test_cancel_interrupts_a_blocked_read(tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    token = CancelToken()
    stamps: list[float] = []

    def cancel_later():
        time.sleep(0.5)
        stamps.append(time.monotonic())
        token.cancel()

    threading.Thread(target=cancel_later).start()
    try:
        with pytest.raises(Cancelled):
            download_file(requests.Session(), f"http://127.0.0.1:{httpd.server_address[1]}/x",
                          tmp_path / "x.wav", token=token, timeout=30)
        # Stopped mid-body rather than after the ~40 s trickle or the 30 s read timeout; the
        # bound is loose so that a loaded CI machine does not make the test flaky.
        assert time.monotonic() - stamps[0] < 3.0
        assert not (tmp_path / "x.wav").exists()
        assert partial_path(tmp_path / "x.wav").exists()  # kept for a later resume
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_busy_file_host_is_retried(client, live, song, tmp_path):
    from inpaint_studio.api.models import InpaintRequest

    result = client.submit_inpaint(InpaintRequest(audio_path=str(song), prompt="p",
                                                  replace_start_at=2, replace_end_at=8,
                                                  num_outputs=1))
    task = list(client.wait(result.task_id, eta=1))[-1]
    live.faults.paths = ("/files/",)
    live.faults.server_error_next, live.faults.server_error_status = 2, 503
    version = task.versions[0]
    path = client.download(version.mp3_url, tmp_path / result_filename(version.conversion_id,
                                                                       ".mp3"))
    assert live.faults.server_error_next == 0 and path.stat().st_size > 0
    live.faults.server_error_next = 9
    with pytest.raises(DownloadError) as info:
        client.download(version.wav_url, tmp_path / "w.wav")
    assert info.value.status == 503 and "HTTP 503" in info.value.user_message
    # tried exactly as often as the client's policy says, then given up
    assert info.value.gave_up_after == client.retry.attempts
    assert live.faults.server_error_next == 9 - client.retry.attempts


def test_ids_make_safe_file_names():
    assert result_filename("5400f093-4321-56ab-84df-6630f448ff52", ".wav") == \
        "5400f093-4321-56ab-84df-6630f448ff52.wav"
    for bad in ("../etc/passwd", "", "a/b", ".hidden"):
        with pytest.raises(DownloadError):
            result_filename(bad, ".mp3")
    with pytest.raises(DownloadError):
        result_filename("abc", ".exe")
