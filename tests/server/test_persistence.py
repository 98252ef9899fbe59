"""Tasks and results outlive the server: a new server on the same folder answers byId for
finished tasks (with URLs on its own address) and serves their files; unfinished ones are run
again to the end (see test_restart.py)."""

from __future__ import annotations

import json

import requests

from inpaint_studio.server.config import ServerConfig
from inpaint_studio.server.runner import LocalServer
from tests.server.conftest import KEY, Api


def test_restart_keeps_finished_tasks_and_their_files(tmp_path, song):
    folder = tmp_path / "data"
    config = ServerConfig(eta_base_s=1.0, workers=1)
    with LocalServer(folder, KEY, engine="quick", config=config) as first:
        api = Api(first)
        done_id = api.submit(song, num_outputs=1).json()["task_id"]
        before = api.wait(done_id)[-1]["conversion"]
        wav = requests.get(before["conversion_path_wav_1"], timeout=10).content
        first.faults.never_finish = True
        stuck_id = api.submit(song).json()["task_id"]
        api.wait(stuck_id, until=("IN_PROGRESS",))
    for path in (folder / "tasks").iterdir():
        assert path.suffix == ".json" and json.loads(path.read_text())["task_id"]
    with LocalServer(folder, KEY, engine="quick", config=config) as second:
        api = Api(second)
        after = api.by_id(task_id=done_id).json()["conversion"]
        assert after["status"] == "COMPLETED"
        assert after["conversion_path_wav_1"].startswith(second.base_url.split("/api")[0])
        assert requests.get(after["conversion_path_wav_1"], timeout=10).content == wav
        stuck = api.wait(stuck_id)[-1]["conversion"]
        assert stuck["status"] == "COMPLETED", stuck["message"]
    leftovers = [p.name for p in folder.rglob("*") if p.name.endswith((".part", ".partial"))]
    assert leftovers == []
    for path in folder.rglob("*"):  # the key is never written into the server's folder
        assert not path.is_file() or KEY.encode() not in path.read_bytes(), path
