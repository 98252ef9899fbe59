"""The product requirement for the local backend: the app (here the `submit` command, which runs
the local server in its own process, data in paths.data_dir()/server) killed with SIGKILL while
the engine is working, then started again (`resume`), completes the job: one submit request in
the server's persisted log, each result file downloaded once, both versions full length and
exactly what the engine makes for the task's seed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from inpaint_studio.core.decode import load_audio
from inpaint_studio.jobs.store import JobStore, Stage
from inpaint_studio.server import quick_engine

ROOT = Path(__file__).resolve().parents[2]
SLOW = "inpaint_studio.server.quick_engine:slow_fill_region"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MUSICGPT_API_KEY"}
    env.update(INPAINT_STUDIO_HOME=str(home), PYTHONPATH=str(ROOT),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
               # the first run's engine is still "working" when it is killed
               INPAINT_STUDIO_SLOW_ENGINE_S="120")
    return env


def _server_tasks(folder: Path) -> list[dict]:
    tasks = []
    for path in sorted((folder / "tasks").glob("*.json")) if folder.exists() else ():
        try:
            tasks.append(json.loads(path.read_text()))
        except ValueError:  # never partial (atomic writes); defensive for the poll loop
            pass
    return tasks


@pytest.mark.slow
def test_sigkill_of_the_app_mid_local_job_then_resume_completes_it(song, tmp_path):
    home, out = tmp_path / "home", tmp_path / "out"
    env = _env(home)
    store_path = home / "data" / "jobs.sqlite3"
    server_dir = home / "data" / "server"
    proc = subprocess.Popen(
        [sys.executable, "-m", "inpaint_studio", "submit", str(song), "--start", "6", "--end",
         "11", "--prompt", "warm piano", "--backend", "local", "--local-engine", SLOW,
         "--wait", "--out", str(out), "-q"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    running = False
    while time.monotonic() < deadline and proc.poll() is None and not running:
        jobs = JobStore(store_path).list() if store_path.exists() else []
        tasks = _server_tasks(server_dir)
        running = bool(jobs and jobs[0].stage is Stage.IN_PROGRESS and tasks
                       and tasks[0]["status"] == "IN_PROGRESS")
        time.sleep(0.05)
    if not running:
        proc.kill()
        raise AssertionError(f"the job never got going: {proc.communicate()[1]}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    killed = JobStore(store_path).list()[0]
    [task] = _server_tasks(server_dir)
    assert killed.stage is Stage.IN_PROGRESS and task["status"] == "IN_PROGRESS"
    assert killed.task_id == task["task_id"] and not any(r.path for r in killed.results)
    assert not out.exists()

    # Started again: the quick engine is the slow one without its pause (same result).
    res = subprocess.run(
        [sys.executable, "-m", "inpaint_studio", "resume", "--backend", "local",
         "--local-engine", "quick", "--out", str(out)], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    done = JobStore(store_path).get(killed.id)
    assert done.stage is Stage.DONE and done.submit_attempts == 1
    assert done.task_id == task["task_id"] and done.conversion_ids == task["conversion_ids"]
    finished = json.loads((server_dir / "tasks" / f"{task['task_id']}.json").read_text())
    assert finished["status"] == "COMPLETED" and finished["restarts"] == 1

    # One submit request over both runs; each result file fetched once.
    submits = (server_dir / "submits.log").read_text().splitlines()
    assert len(submits) == 1 and json.loads(submits[0])["method"] == "POST"
    gets = [json.loads(line) for line in (server_dir / "downloads.log").read_text().splitlines()]
    paths = [g["path"] for g in gets if g["method"] == "GET"]
    assert len(paths) == len(set(paths)) == len(done.results) == 2

    # Both versions full length, and what the engine makes for the task's seed.
    files = sorted(out.iterdir())
    assert len(files) == 2
    original = load_audio(song)
    expected = quick_engine.fill_region(load_audio(task["song_path"]), 6.0, 11.0,
                                        seed=task["seed"], num_versions=2)
    for path, version in zip(files, expected.versions, strict=True):
        audio = load_audio(path)
        assert audio.frames == original.frames
        np.testing.assert_allclose(audio.samples, version.audio.samples, atol=1e-3)
