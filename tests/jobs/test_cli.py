"""The job commands as a user runs them: real subprocesses, the local server over loopback, and
a process killed with SIGKILL in the middle of a job, then resumed."""

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
from inpaint_studio.server.config import ServerConfig
from tests.jobs.support import KEY, counting_server, make_song

ROOT = Path(__file__).resolve().parents[2]


def _env(home: Path, key: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MUSICGPT_API_KEY"}
    env.update(INPAINT_STUDIO_HOME=str(home), PYTHONPATH=str(ROOT),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    if key:
        env["MUSICGPT_API_KEY"] = key
    return env


def _cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inpaint_studio", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_submit_local_wait_out_makes_both_versions_without_key_or_network(tmp_path):
    """With the real default engine (player/route.py: "warm piano" is played by the session
    player), as a user runs it."""
    song = make_song(tmp_path / "song20.wav", seconds=20.0, seed=3)
    env = _env(tmp_path / "home")
    out = tmp_path / "out"
    res = _cli("submit", str(song), "--start", "8", "--end", "13", "--prompt", "warm piano",
               "--backend", "local", "--wait", "--out", str(out), env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    handed = sorted(f.name for f in out.iterdir())
    # both versions, and each version's played part as MIDI, printed as they are written
    assert handed == ["song20-v1-part.mid", "song20-v1.wav", "song20-v2-part.mid",
                      "song20-v2.wav"]
    assert all(str(out / name) in res.stdout for name in handed)
    files = [out / "song20-v1.wav", out / "song20-v2.wav"]
    original = load_audio(song)
    versions = [load_audio(f) for f in files]
    assert all(v.frames == original.frames for v in versions)
    a, b = 8 * original.sample_rate, 13 * original.sample_rate
    inside = [v.samples[:, a:b] for v in versions]
    assert not np.allclose(inside[0], inside[1], atol=1e-3)  # two different candidates
    assert not np.allclose(inside[0], original.samples[:, a:b], atol=1e-3)
    listed = _cli("jobs", env=env)
    assert "done: 2 versions" in listed.stdout and "'warm piano'" in listed.stdout
    rows = [json.loads(line) for line in _cli("jobs", "--json", env=env).stdout.splitlines()]
    assert rows[0]["stage"] == "done" and rows[0]["backend"] == "local"
    assert rows[0]["submit_attempts"] == 1


def test_invalid_input_is_refused_before_anything_is_saved(song, studio_home, capsys):
    from inpaint_studio import cli

    code = cli.main(["submit", str(song), "--start", "11", "--end", "6", "--prompt", " ",
                     "--backend", "local"])
    err = capsys.readouterr().err
    assert code == 2
    assert "prompt" in err and "must end after it starts" in err
    assert cli.main(["jobs"]) == 0 and "No jobs yet." in capsys.readouterr().out


@pytest.mark.slow
def test_sigkill_mid_job_then_resume_submits_once_and_downloads_once(song, tmp_path):
    home = tmp_path / "home"
    env = _env(home, KEY)
    config = ServerConfig(version_delay_s=3.0)
    with counting_server(tmp_path / "server", config=config) as (srv, log):
        proc = subprocess.Popen(
            [sys.executable, "-m", "inpaint_studio", "submit", str(song), "--start", "6",
             "--end", "11", "--prompt", "warm piano", "--backend", "musicgpt", "--base-url",
             srv.base_url, "--wait", "-q"], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        store_path = home / "data" / "jobs.sqlite3"
        deadline = time.monotonic() + 60
        stage = None
        while time.monotonic() < deadline and proc.poll() is None:
            if store_path.exists():
                jobs = JobStore(store_path).list()
                if jobs and jobs[0].stage in (Stage.IN_PROGRESS, Stage.PARTIAL):
                    stage = jobs[0].stage
                    break
            time.sleep(0.05)
        assert stage is not None, "the job never got going"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        killed = JobStore(store_path).list()[0]
        assert killed.stage in (Stage.IN_PROGRESS, Stage.PARTIAL) and not killed.results[1:]
        res = _cli("resume", "--base-url", srv.base_url, env=env)
        assert res.returncode == 0, res.stderr
        done = JobStore(store_path).get(killed.id)
        assert done.stage is Stage.DONE and done.submit_attempts == 1
        assert log.submits() == 1
        downloads = log.downloads()
        assert len(downloads) == 2 and set(downloads.values()) == {1}
        # resuming again does nothing: no submit, no download
        again = _cli("resume", "--base-url", srv.base_url, env=env)
        assert again.returncode == 0 and "Nothing to resume" in again.stderr
        assert log.submits() == 1 and log.downloads() == downloads


def test_musicgpt_without_a_key_says_how_to_set_one(song, studio_home, capsys, monkeypatch):
    from inpaint_studio import cli

    monkeypatch.delenv("MUSICGPT_API_KEY", raising=False)
    code = cli.main(["submit", str(song), "--start", "6", "--end", "11", "--prompt", "x",
                     "--backend", "musicgpt"])
    assert code == 2 and "MUSICGPT_API_KEY" in capsys.readouterr().err
    assert cli.main(["jobs"]) == 0 and "No jobs yet." in capsys.readouterr().out
