"""The local server fetches a task's `audio_url` with the app's one downloader: a busy song host
is asked again (the retry policy of api.retry), a missing song fails the task once, with the
documented reason."""

from __future__ import annotations

import http.server
import threading

import pytest


@pytest.fixture
def song_host(song):
    """A loopback host of the song: /busy-once.mp3 answers 503 to its first GET."""
    gets: list[str] = []
    data = song.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            gets.append(self.path)
            if self.path == "/busy-once.mp3" and gets.count(self.path) == 1:
                status, body = 503, b"busy"
            elif self.path == "/busy-once.mp3":
                status, body = 200, data
            else:
                status, body = 404, b"no such song"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", gets
    httpd.shutdown()
    httpd.server_close()


def test_a_busy_song_host_is_asked_again(api, song_host):
    base, gets = song_host
    task_id = api.submit(None, audio_url=f"{base}/busy-once.mp3").json()["task_id"]
    conv = api.wait(task_id)[-1]["conversion"]
    assert conv["status"] == "COMPLETED", conv["message"]
    assert gets == ["/busy-once.mp3", "/busy-once.mp3"]


def test_a_missing_song_fails_the_task_after_one_request(api, song_host):
    base, gets = song_host
    task_id = api.submit(None, audio_url=f"{base}/gone.mp3").json()["task_id"]
    conv = api.wait(task_id)[-1]["conversion"]
    assert conv["status"] == "FAILED"
    assert "could not be downloaded from the provided URL" in conv["message"]
    assert gets == ["/gone.mp3"]
