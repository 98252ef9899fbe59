"""Issue 13, finding 7: the local server's trust boundaries. The `Host` header must name an
address the server listens on (DNS rebinding); a task answers only to the key that made it (also
after a restart with another key); no message carries a path of the server's disk."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import requests

from inpaint_studio.server.config import ServerConfig
from inpaint_studio.server.runner import LocalServer
from tests.server.conftest import KEY

OTHER = "sk-local-OTHER-key-77aa00ff"


def _get(server: LocalServer, path: str, host: str, key: str = KEY) -> tuple[int, dict]:
    """A GET with exactly this Host header (requests would not let us set a false one)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host)
        conn.putheader("Authorization", key)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def test_a_foreign_host_header_is_refused_and_links_never_use_it(api, live, song):
    task_id = api.submit(song).json()["task_id"]
    api.wait(task_id)
    path = f"/api/public/v1/byId?conversionType=INPAINT&task_id={task_id}"
    for host in ("evil.example.com", f"evil.example.com:{live.port}", "127.0.0.1:1",
                 f"127.0.0.1.evil.example:{live.port}"):
        status, body = _get(live, path, host)
        assert status == 421, (host, status, body)
        assert "evil" not in json.dumps(body)
    for host in (f"127.0.0.1:{live.port}", f"localhost:{live.port}"):
        status, body = _get(live, path, host)
        assert status == 200
        links = [v for k, v in body["conversion"].items() if "conversion_path" in k and v]
        assert links and all(urlsplit(u).netloc == host for u in links)
    # the key check, result files and submits are behind the same check
    assert _get(live, "/api/public/v1/", "evil.example.com")[0] == 421


def test_a_task_answers_only_to_the_key_that_made_it(tmp_path, song):
    config = ServerConfig(extra_keys=(OTHER,), workers=1)
    with LocalServer(tmp_path / "data", KEY, engine="quick", config=config) as srv:
        with open(song, "rb") as fh:
            task = requests.post(f"{srv.base_url}/v1/inpaint", headers={"Authorization": KEY},
                                 data={"prompt": "p", "replace_start_at": 2,
                                       "replace_end_at": 6},
                                 files={"audio_file": ("s.mp3", fh, "audio/mpeg")},
                                 timeout=60).json()
        path = f"/api/public/v1/byId?conversionType=INPAINT&task_id={task['task_id']}"
        by_cid = f"/api/public/v1/byId?conversionType=INPAINT&conversion_id=" \
                 f"{task['conversion_id_1']}"
        host = f"127.0.0.1:{srv.port}"
        assert _get(srv, path, host, KEY)[0] == 200
        assert _get(srv, path, host, OTHER)[0] == 404
        assert _get(srv, by_cid, host, OTHER)[0] == 404
    stored = (tmp_path / "data" / "tasks" / f"{task['task_id']}.json").read_text()
    assert KEY not in stored  # only its hash is kept
    # restarted with another key, the server does not serve the first key's tasks
    with LocalServer(tmp_path / "data", OTHER, engine="quick",
                     config=ServerConfig(workers=1)) as srv:
        assert _get(srv, path, f"127.0.0.1:{srv.port}", OTHER)[0] == 404


def test_no_message_carries_a_server_path(api, live, song, tmp_path):
    root = str(live.store.root)
    fake = tmp_path / "notes.mp3"
    fake.write_text("this is not a song\n" * 100)
    refused = api.submit(fake)
    assert refused.status_code == 422 and "not audio" in refused.json()["message"]
    assert root not in refused.text and "/uploads/" not in refused.text
    # a task that fails with a reason naming a file of the server's disk
    live.faults.fail_jobs = f"could not read {root}/uploads/x/song.mp3 (or /var/tmp/a/b.npy)"
    task_id = api.submit(song).json()["task_id"]
    conv = api.wait(task_id)[-1]["conversion"]
    assert conv["status"] == "FAILED" and "could not read" in conv["message"]
    assert root not in conv["message"] and "/uploads/" not in conv["message"]
    assert "/var/tmp" not in conv["message"]
