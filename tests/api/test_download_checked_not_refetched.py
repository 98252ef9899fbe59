"""Issue 13, finding 6: a kill during the check of a finished download made the next run fetch
the whole file again (22 MB in the issue). The finished copy is now found and checked again:
the next run asks only for the bytes after it (none) and fetches nothing."""

from __future__ import annotations

import http.server
import re
import threading

import requests

from inpaint_studio.api.download import download_file, partial_path
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song


def test_a_download_killed_during_its_check_is_checked_again_not_fetched(tmp_path):
    song = tmp_path / "served.mp3"
    encode_audio(synth_song(6.0, bpm=120.0, seed=5), song)
    data = song.read_bytes()
    sent: list[int] = []

    class Ranged(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            m = re.match(r"bytes=(\d+)-", self.headers.get("Range", ""))
            start = int(m.group(1)) if m else 0
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                sent.append(0)
                return
            body = data[start:]
            self.send_response(206 if m else 200)
            if m:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            sent.append(len(body))

        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ranged)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v1.mp3"
    target = tmp_path / "cache" / "v1.mp3"
    try:
        with requests.Session() as session:
            download_file(session, url, target)
            assert sent == [len(data)]
            # As a kill during the check leaves it: the finished copy under its checking name.
            part = partial_path(target)
            target.replace(part.with_name(part.name + target.suffix))
            download_file(session, url, target)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert target.read_bytes() == data
    assert sent == [len(data), 0]  # asked for what follows the copy, and got nothing
    assert not list((tmp_path / "cache").glob(".*"))
