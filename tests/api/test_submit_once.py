"""The submit POST goes out once: a redirect is reported, never followed (following it would send
the POST again, or turn it into a GET whose answer is taken for the submit's)."""

from __future__ import annotations

import http.server
import threading

import pytest

from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.errors import ApiError, SubmitOutcomeUnknown
from inpaint_studio.api.models import InpaintRequest


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirected_submit_is_not_followed(live, key, song, status):
    posts: list[str] = []
    target = f"{live.base_url}/v1/inpaint"

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            posts.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(status)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST  # noqa: N815 - a followed 301-303 arrives here as a GET

        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    before = live.submit_count
    client = MusicGPTClient(f"http://127.0.0.1:{httpd.server_address[1]}", key)
    try:
        with pytest.raises(ApiError) as info:
            client.submit_inpaint(InpaintRequest(audio_path=str(song), prompt="p",
                                                 replace_start_at=5.0, replace_end_at=12.0))
    finally:
        client.close()
        httpd.shutdown()
        httpd.server_close()
    assert posts == ["/v1/inpaint"]  # one request, not followed anywhere
    assert live.submit_count == before
    assert not isinstance(info.value, SubmitOutcomeUnknown)  # a redirect created no job
    assert f"HTTP {status} to {target}" in info.value.user_message
    assert "was not followed" in info.value.user_message
