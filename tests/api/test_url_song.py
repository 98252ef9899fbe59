"""Opening a song from an address over loopback HTTP: the same downloader as a job's results, so
a busy host is retried and a cut transfer resumes with a Range request; failures say why."""

from __future__ import annotations

import pytest

from inpaint_studio.api.errors import DownloadError
from inpaint_studio.api.retry import RetryPolicy
from inpaint_studio.api.url_song import cached_path, fetch_song
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.core.decode import probe
from tests.loopback import Loopback, QuietHandler


def _instant(seconds: float, token: CancelToken) -> bool:
    return token.cancelled


FAST = RetryPolicy(sleep=_instant)


class _Host(QuietHandler):
    """/flaky.mp3: 503, then half the song and a cut, then the rest for a Range request.
    /busy.mp3: always 503. /gone.mp3: 404. /text.mp3: a web page. /song.mp3: the song."""

    data: bytes
    seen: list[tuple[str, str]]  # (path, Range header) of every request

    def do_GET(self) -> None:  # noqa: N802
        rng = self.headers.get("Range", "")
        self.seen.append((self.path, rng))
        tries = sum(1 for p, _ in self.seen if p == self.path)
        if self.path == "/busy.mp3" or (self.path == "/flaky.mp3" and tries == 1):
            self.answer(503, b"busy")
        elif self.path == "/gone.mp3":
            self.answer(404, b"no such file")
        elif self.path == "/text.mp3":
            self.answer(200, b"<html>not a song</html>" * 100)
        elif self.path == "/flaky.mp3" and tries == 2:
            half = len(self.data) // 2
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.data)))
            self.end_headers()
            self.wfile.write(self.data[:half])
            self.wfile.flush()
            self.close_connection = True  # cut: the client must resume from byte `half`
        elif rng.startswith("bytes="):
            start = int(rng[6:].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(self.data) - 1}/"
                                              f"{len(self.data)}")
            self.send_header("Content-Length", str(len(self.data) - start))
            self.end_headers()
            self.wfile.write(self.data[start:])
        else:
            self.answer(200, self.data)


@pytest.fixture
def host(song):
    seen: list[tuple[str, str]] = []
    handler = type("Handler", (_Host,), {"data": song.read_bytes(), "seen": seen})
    server = Loopback(handler)
    yield server.base, seen
    server.close()


def test_a_busy_then_cut_transfer_is_retried_and_resumed(host, song, tmp_path):
    base, seen = host
    progress: list[tuple[int, int | None]] = []
    path = fetch_song(f"{base}/flaky.mp3", tmp_path, retry=FAST,
                      progress=lambda d, t: progress.append((d, t)))
    assert path == cached_path(f"{base}/flaky.mp3", tmp_path) and path.suffix == ".mp3"
    assert path.read_bytes() == song.read_bytes()
    half = len(song.read_bytes()) // 2
    assert seen == [("/flaky.mp3", ""), ("/flaky.mp3", ""), ("/flaky.mp3", f"bytes={half}-")]
    assert progress[-1] == (len(song.read_bytes()), len(song.read_bytes()))
    assert probe(path).channels == 2


def test_a_cached_song_is_not_fetched_again(host, tmp_path):
    base, seen = host
    first = fetch_song(f"{base}/song.mp3", tmp_path, retry=FAST)
    again = fetch_song(f"{base}/song.mp3", tmp_path, retry=FAST)
    assert first == again and seen == [("/song.mp3", "")]


def test_a_host_that_stays_busy_is_given_up_on_after_the_policys_attempts(host, tmp_path):
    base, seen = host
    with pytest.raises(DownloadError) as info:
        fetch_song(f"{base}/busy.mp3", tmp_path, retry=FAST)
    assert len(seen) == FAST.attempts and info.value.status == 503
    assert "HTTP 503" in info.value.user_message and "127.0.0.1" in info.value.user_message
    assert not cached_path(f"{base}/busy.mp3", tmp_path).exists()


def test_a_missing_song_is_not_retried(host, tmp_path):
    base, seen = host
    with pytest.raises(DownloadError) as info:
        fetch_song(f"{base}/gone.mp3", tmp_path, retry=FAST)
    assert len(seen) == 1 and info.value.status == 404


def test_what_is_not_audio_is_refused_and_not_kept(host, tmp_path):
    base, _ = host
    with pytest.raises(DownloadError) as info:
        fetch_song(f"{base}/text.mp3", tmp_path, retry=FAST)
    assert "not usable audio" in info.value.user_message
    assert not cached_path(f"{base}/text.mp3", tmp_path).exists()


def test_only_web_addresses_are_fetched(tmp_path):
    with pytest.raises(DownloadError, match="http"):
        fetch_song("file:///etc/passwd", tmp_path)


def test_a_song_on_loopback_is_never_fetched_through_an_environment_proxy(host, song, tmp_path,
                                                                          monkeypatch):
    base, seen = host
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9/")  # nothing listens: used, it fails
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    path = fetch_song(f"{base}/song.mp3", tmp_path, retry=RetryPolicy(attempts=1))
    assert path.read_bytes() == song.read_bytes() and seen == [("/song.mp3", "")]
