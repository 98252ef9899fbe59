"""A server stopped (or its process killed) mid-task runs the task again when it restarts on the
same folder: same task and conversion ids, the result the engine gives for the task's seed,
versions already published kept as they were; a task whose input is gone or damaged ends FAILED
with the reason. The submit and download logs survive restarts."""

from __future__ import annotations

import json
import shutil

import numpy as np
import requests

from inpaint_studio.core.decode import load_audio
from inpaint_studio.server import quick_engine
from inpaint_studio.server.config import ServerConfig
from inpaint_studio.server.runner import LocalServer
from tests.server.conftest import KEY, Api

CONFIG = ServerConfig(eta_base_s=1.0, workers=1)


def _stopped_mid_task(folder, song, config=CONFIG, **fields) -> dict:
    """Submit one task to a server on `folder` that never finishes it, stop that server while
    the task is IN_PROGRESS and return the task's saved record."""
    with LocalServer(folder, KEY, engine="quick", config=config) as first:
        first.faults.never_finish = True
        api = Api(first)
        task_id = api.submit(song, **fields).json()["task_id"]
        api.wait(task_id, until=("IN_PROGRESS",))
    rec = json.loads((folder / "tasks" / f"{task_id}.json").read_text())
    assert rec["status"] == "IN_PROGRESS"
    return rec


def test_restart_runs_an_unfinished_task_to_the_end_with_the_same_ids(tmp_path, song):
    folder = tmp_path / "data"
    rec = _stopped_mid_task(folder, song)
    with LocalServer(folder, KEY, engine="quick", config=CONFIG) as second:
        api = Api(second)
        conv = api.wait(rec["task_id"])[-1]["conversion"]
        assert conv["status"] == "COMPLETED", conv["message"]
        assert [conv["conversion_id_1"], conv["conversion_id_2"]] == rec["conversion_ids"]
        by_cid = api.by_id(conversion_id=rec["conversion_ids"][1]).json()["conversion"]
        assert by_cid["task_id"] == rec["task_id"]
        got = [requests.get(conv[f"conversion_path_wav_{i}"], timeout=10) for i in (1, 2)]
        assert all(r.status_code == 200 for r in got)
        # exactly what the engine makes for this task's seed from the kept upload
        original = load_audio(rec["song_path"])
        expected = quick_engine.fill_region(original, 2.0, 6.0, seed=rec["seed"],
                                            num_versions=2)
        for i, resp in enumerate(got):
            path = tmp_path / f"v{i + 1}.wav"
            path.write_bytes(resp.content)
            audio = load_audio(path)
            assert audio.frames == original.frames
            np.testing.assert_allclose(audio.samples, expected.versions[i].audio.samples,
                                       atol=1e-3)
        # the one submit and these downloads are on record in the folder, across runs
        assert second.submit_count == 1
        assert sorted(second.download_counts().values()) == [1, 1]
    lines = (folder / "submits.log").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["path"].endswith("/v1/inpaint")
    assert len((folder / "downloads.log").read_text().splitlines()) == 2
    assert list((folder / "work").iterdir()) == []


def test_a_version_published_before_the_restart_is_kept_not_remade(tmp_path, song):
    folder = tmp_path / "data"
    slow = ServerConfig(eta_base_s=1.0, workers=1, version_delay_s=60.0)
    with LocalServer(folder, KEY, engine="quick", config=slow) as first:
        api = Api(first)
        task_id = api.submit(song).json()["task_id"]
        seen = api.wait(task_id, until=("IN_PROGRESS",))
        while not seen[-1]["conversion"]["conversion_path_wav_1"]:
            seen = api.wait(task_id, until=("IN_PROGRESS",))
    rec = json.loads((folder / "tasks" / f"{task_id}.json").read_text())
    assert list(rec["versions"]) == ["1"]
    v1 = folder / "files" / rec["versions"]["1"]["wav"]
    stamp = v1.stat().st_mtime_ns
    with LocalServer(folder, KEY, engine="quick", config=CONFIG) as second:
        conv = Api(second).wait(task_id)[-1]["conversion"]
        assert conv["status"] == "COMPLETED" and conv["conversion_path_wav_2"]
    assert v1.stat().st_mtime_ns == stamp  # not encoded a second time
    assert json.loads((folder / "tasks" / f"{task_id}.json").read_text())["restarts"] == 1


def test_a_task_whose_upload_is_gone_fails_with_the_reason(tmp_path, song):
    folder = tmp_path / "data"
    rec = _stopped_mid_task(folder, song)
    shutil.rmtree(folder / "uploads" / rec["task_id"])
    with LocalServer(folder, KEY, engine="quick", config=CONFIG) as second:
        conv = Api(second).by_id(task_id=rec["task_id"]).json()["conversion"]
        assert conv["status"] == "FAILED"
        assert "song uploaded for it is gone" in conv["message"]
        assert second.store.unfinished() == []


def test_a_task_whose_upload_is_damaged_fails_with_the_reason(tmp_path, song):
    folder = tmp_path / "data"
    rec = _stopped_mid_task(folder, song)
    with open(rec["song_path"], "wb") as fh:
        fh.write(b"not audio at all " * 100)
    with LocalServer(folder, KEY, engine="quick", config=CONFIG) as second:
        conv = Api(second).wait(rec["task_id"])[-1]["conversion"]
        assert conv["status"] == "FAILED"
        assert "could not be decoded" in conv["message"]


def test_a_task_that_keeps_stopping_the_server_is_given_up(tmp_path, song):
    folder = tmp_path / "data"
    rec = _stopped_mid_task(folder, song)
    path = folder / "tasks" / f"{rec['task_id']}.json"
    path.write_text(json.dumps({**rec, "restarts": 3}))
    with LocalServer(folder, KEY, engine="quick", config=CONFIG) as second:
        conv = Api(second).by_id(task_id=rec["task_id"]).json()["conversion"]
        assert conv["status"] == "FAILED" and "stopped 4 times" in conv["message"]


def test_a_task_fetched_by_url_reruns_from_its_kept_copy(tmp_path, song):
    import functools
    import http.server
    import threading

    gets: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            gets.append(self.path)
            super().do_GET()

        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(song.parent)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/{song.name}"
        folder = tmp_path / "data"
        rec = _stopped_mid_task(folder, None, audio_url=url)
        assert rec["song_path"] and gets == [f"/{song.name}"]
        with LocalServer(folder, KEY, engine="quick", config=CONFIG) as second:
            conv = Api(second).wait(rec["task_id"])[-1]["conversion"]
            assert conv["status"] == "COMPLETED", conv["message"]
        assert len(gets) == 1  # not fetched a second time
    finally:
        httpd.shutdown()
        httpd.server_close()
