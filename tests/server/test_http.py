"""The local server's HTTP behaviour beyond the schemas: auth, limits, files with Range, the
submit log, the engine process, start/stop."""

from __future__ import annotations

import os
import socket

import pytest
import requests

from inpaint_studio.server.runner import LocalServer
from tests.server.conftest import KEY, Api


def test_requests_without_the_key_get_401(api, live, song):
    expected = {"success": False, "error": "Authentication failed"}
    for headers in ({}, {"Authorization": "wrong"}, {"Authorization": f"Bearer {KEY}"}):
        for method, path in (("GET", "/v1/"), ("GET", "/v1/byId?conversionType=INPAINT&"
                             "task_id=x"), ("POST", "/v1/inpaint")):
            resp = requests.request(method, api.base + path, headers=headers, timeout=10)
            assert (resp.status_code, resp.json()) == (401, expected), (method, path, headers)
    resp = requests.get(api.base + "/v1/", headers={"Authorization": KEY}, timeout=10)
    assert resp.status_code == 200 and resp.json()["success"] is True


def test_bearer_behind_an_option(api, live):
    live.config.accept_bearer = True
    try:
        resp = requests.get(api.base + "/v1/", headers={"Authorization": f"Bearer {KEY}"},
                            timeout=10)
    finally:
        live.config.accept_bearer = False
    assert resp.status_code == 200


def test_paths_are_under_api_public_like_the_real_host(live):
    assert live.base_url.endswith("/api/public")
    assert requests.get(live.base_url.replace("/api/public", "") + "/v1/", timeout=10,
                        headers={"Authorization": KEY}).status_code == 404


def test_413_for_oversized_uploads(api, live, song):
    live.config.max_upload_bytes = 10_000
    try:
        resp = api.submit(song)
    finally:
        live.config.max_upload_bytes = 200 * 1024 * 1024
    assert resp.status_code == 413 and "too large" in resp.json()["message"]


def test_not_audio_is_rejected(api, tmp_path):
    fake = tmp_path / "notes.mp3"
    fake.write_text("this is not a song\n" * 100)
    resp = api.submit(fake)
    assert resp.status_code == 422 and "not audio" in resp.json()["message"]


def test_lookup_by_conversion_id_returns_the_whole_task(api, song):
    task = api.submit(song).json()
    api.wait(task["task_id"])
    for cid in (task["conversion_id_1"], task["conversion_id_2"]):
        conv = api.by_id(conversion_id=cid).json()["conversion"]
        assert conv["task_id"] == task["task_id"]
        assert {conv["conversion_id_1"], conv["conversion_id_2"]} == {
            task["conversion_id_1"], task["conversion_id_2"]}
    assert api.by_id(conversionType="REMIX", task_id=task["task_id"]).status_code == 404


def test_result_files_support_range_and_need_no_key(api, live, song):
    task = api.submit(song, num_outputs=1).json()
    conv = api.wait(task["task_id"])[-1]["conversion"]
    url = conv["conversion_path_wav_1"]
    whole = requests.get(url, timeout=10)
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav"
    assert whole.headers["accept-ranges"] == "bytes"
    part = requests.get(url, headers={"Range": "bytes=100-1099"}, timeout=10)
    assert part.status_code == 206 and part.content == whole.content[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(whole.content)}"
    tail = requests.get(url, headers={"Range": f"bytes={len(whole.content) - 10}-"}, timeout=10)
    assert tail.content == whole.content[-10:]
    beyond = requests.get(url, headers={"Range": f"bytes={len(whole.content) + 5}-"},
                          timeout=10)
    assert beyond.status_code == 416
    assert requests.head(conv["conversion_path_1"], timeout=10).status_code == 200
    files = url.split("/files/")[0] + "/files/"
    for bad in ("../tasks/" + task["task_id"] + ".json", "conversions/api/hq/x/x.wav"):
        assert requests.get(files + bad, timeout=10).status_code == 404


def test_parallel_limit_of_the_plan(api, live, song):
    live.config.parallel_jobs = 1
    live.faults.never_finish = True
    try:
        assert api.submit(song).status_code == 200
        resp = api.submit(song)
    finally:
        live.config.parallel_jobs = None
    assert resp.status_code == 429 and "parallel" in resp.json()["message"]


def test_byid_calls_per_minute(api, live):
    live.state._calls.clear()
    live.config.byid_per_minute = 5
    try:
        codes = [api.by_id(task_id="x").status_code for _ in range(6)]
        last = api.by_id(task_id="x")
    finally:
        live.config.byid_per_minute = None
        live.state._calls.clear()
    assert codes == [404] * 5 + [429]
    assert last.status_code == 429 and 1 <= int(last.headers["retry-after"]) <= 60


def test_credit_balance_is_debited_then_402(api, live, song):
    live.state.credit = 0.2
    try:
        first = api.submit(song)
        second = api.submit(song)
        remaining = live.state.credit
    finally:
        live.state.credit = None
    assert first.status_code == 200 and first.json()["credit_estimate"] == 0.12
    assert second.status_code == 402
    assert second.json() == {"success": False, "error": "Insufficient credits for this "
                             "operation", "required_credits": 0.12, "available_credits": 0.08}
    assert remaining == pytest.approx(0.08)


def test_submit_log_counts_every_post(api, live, song):
    before = live.submit_count
    api.submit(song)
    requests.post(api.base + "/v1/inpaint", timeout=10)  # no key: counted too
    live.faults.rate_limit_next = 1
    api.submit(song)
    assert live.submit_count == before + 3


@pytest.mark.slow
def test_engine_runs_in_another_process(api, live, song):
    task = api.submit(song, num_outputs=1).json()
    api.wait(task["task_id"])
    rec = live.store.get(task["task_id"])
    pid = rec["versions"]["1"]["meta"]["pid"]
    assert pid != os.getpid() and pid > 0


def test_start_on_port_zero_bind_loopback_and_stop(tmp_path):
    server = LocalServer(tmp_path / "s", "k")
    with server:
        assert server.port > 0 and server.base_url.startswith("http://127.0.0.1:")
        port = server.port
        assert Api(server, "k").by_id(task_id="x").status_code == 404
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/api/public/v1/", timeout=2)
    with pytest.raises(ValueError):
        LocalServer(tmp_path / "t", "")


def test_a_busy_port_is_reported(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        server = LocalServer(tmp_path / "s", "k", port=s.getsockname()[1])
        with pytest.raises(RuntimeError, match="did not start"):
            server.start()
