"""The local server fetches a task's `audio_url` with the app's one downloader: a busy song host
is asked again (the retry policy of api.retry), a missing song fails the task once, with the
documented reason."""

from __future__ import annotations

import pytest

from tests.loopback import Loopback, QuietHandler


@pytest.fixture
def song_host(song):
    """A loopback host of the song: /busy-once.mp3 answers 503 to its first GET."""
    gets: list[str] = []
    data = song.read_bytes()

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802
            gets.append(self.path)
            if self.path == "/busy-once.mp3" and gets.count(self.path) == 1:
                self.answer(503, b"busy")
            elif self.path == "/busy-once.mp3":
                self.answer(200, data)
            else:
                self.answer(404, b"no such song")

    host = Loopback(Handler)
    yield host.base, gets
    host.close()


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
