"""Issue 13, finding 4: `resume` ignored the `--out` folder of the `submit` it resumed, so the
results never reached it. Now the job keeps that folder and a plain `resume` delivers there.

The kill point is deterministic: the server publishes version 1 and then holds version 2 for an
hour, so the job sits in PARTIAL until `submit` is killed; the server is then restarted on the
same data (it runs the task again, without the pause) and a plain `resume` finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from inpaint_studio.jobs.store import JobStore, Stage
from inpaint_studio.server.config import ServerConfig
from inpaint_studio.server.runner import LocalServer
from tests.jobs.support import KEY, counting_server
from tests.jobs.test_cli import ROOT, _cli, _env


def test_plain_resume_delivers_into_the_out_folder_of_the_killed_submit(song, tmp_path):
    home, out = tmp_path / "home", tmp_path / "delivered"
    env = _env(home, KEY)
    store_path = home / "data" / "jobs.sqlite3"
    with counting_server(tmp_path / "server", config=ServerConfig(version_delay_s=3600.0)) \
            as (srv, _log):
        proc = subprocess.Popen(
            [sys.executable, "-m", "inpaint_studio", "submit", str(song), "--start", "6",
             "--end", "11", "--prompt", "warm piano", "--backend", "musicgpt", "--base-url",
             srv.base_url, "--out", str(out), "-q"], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = srv.port
        try:
            for _ in range(6000):  # a hang guard: the job stops in PARTIAL by construction
                if proc.poll() is not None:
                    break
                if store_path.exists():
                    jobs = JobStore(store_path).list()
                    if jobs and jobs[0].stage is Stage.PARTIAL:
                        break
                threading.Event().wait(0.05)
            assert proc.poll() is None, "submit ended before it could be killed"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(60)
    killed = JobStore(store_path).list()[0]
    assert killed.stage is Stage.PARTIAL
    assert killed.deliver_to == str(out.resolve())
    assert not out.exists() or not list(out.iterdir())
    # the same server (data and port: the job knows its address) restarted without the pause
    with LocalServer(tmp_path / "server", KEY, port=port, engine="quick", config=ServerConfig()):
        res = _cli("resume", env=env)
    assert res.returncode == 0, res.stderr
    assert JobStore(store_path).get(killed.id).stage is Stage.DONE
    names = sorted(p.name for p in out.iterdir())
    assert [n.rsplit(".", 1)[0] for n in names] == [f"{song.stem}-v1", f"{song.stem}-v2"]
    assert all(str(out / n) in res.stdout for n in names)


def test_a_store_written_before_deliver_to_existed_opens_and_gains_the_column(tmp_path):
    import sqlite3

    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create(backend="local", base_url="local", source="/s.wav", upload_path="/s.wav",
                       start=1.0, end=4.0, params={"prompt": "p"})
    store.close()
    with sqlite3.connect(tmp_path / "jobs.sqlite3") as db:  # as an older version left it
        db.execute("ALTER TABLE jobs DROP COLUMN deliver_to")
    reopened = JobStore(tmp_path / "jobs.sqlite3")
    assert reopened.get(job.id).deliver_to == ""
    made = reopened.create(backend="local", base_url="local", source="/s.wav",
                           upload_path="/s.wav", start=1.0, end=4.0, params={"prompt": "p"},
                           deliver_to="/music/out")
    assert reopened.get(made.id).deliver_to == "/music/out"
