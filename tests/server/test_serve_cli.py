"""`inpaint-studio serve` in a real subprocess: prints its address and a fresh key, answers with
that key only, and stops cleanly on Ctrl+C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str, home: Path,
           sigint: signal.Handlers = signal.SIG_DFL) -> tuple[subprocess.Popen, dict[str, str]]:
    """Start `serve`, its SIGINT as `sigint` at start (a shell's background job: ignored)."""
    env = {**os.environ, "INPAINT_STUDIO_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "inpaint_studio", "serve", "--port", "0",
                             "--engine", "quick", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
    info: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.match(r"(Local MusicGPT server|API key|Data folder|Fault mode): (.+)",
                     line.strip())
        if m:
            info[m.group(1)] = m.group(2)
        if line.startswith("Press Ctrl+C"):
            break
    return proc, info


@pytest.mark.slow
@pytest.mark.parametrize("sigint", [signal.SIG_DFL, signal.SIG_IGN], ids=["foreground",
                                                                          "background-job"])
def test_serve_prints_a_random_key_and_stops_on_ctrl_c(tmp_path, sigint):
    proc, info = _start(home=tmp_path, sigint=sigint)
    try:
        base, key = info["Local MusicGPT server"], info["API key"]
        assert base.startswith("http://127.0.0.1:") and base.endswith("/api/public")
        assert len(key) >= 24
        assert Path(info["Data folder"]).is_relative_to(tmp_path)
        assert requests.get(base + "/v1/", headers={"Authorization": key},
                            timeout=10).status_code == 200
        assert requests.get(base + "/v1/", timeout=10).status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0


@pytest.mark.slow
def test_serve_with_a_given_key_does_not_print_it(tmp_path):
    proc, info = _start("--key", "my-own-key-123", "--plan", "free", home=tmp_path)
    try:
        assert "API key" not in info
        base = info["Local MusicGPT server"]
        assert requests.get(base + "/v1/", headers={"Authorization": "my-own-key-123"},
                            timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0


@pytest.mark.slow
def test_serve_fault_mode_from_the_command_line(tmp_path):
    # A client's author points it at `serve --fault-…` to see each fault handled.
    proc, info = _start("--key", "k-123", "--fault-429", "1", "--fault-5xx", "1",
                        "--fault-paths", "/v1/", home=tmp_path)
    try:
        assert "rate_limit_next=1" in info["Fault mode"]
        base, auth = info["Local MusicGPT server"], {"Authorization": "k-123"}
        first = requests.get(base + "/v1/", headers=auth, timeout=10)
        assert first.status_code == 429 and first.headers["Retry-After"]
        assert requests.get(base + "/v1/", headers=auth, timeout=10).status_code == 500
        assert requests.get(base + "/v1/", headers=auth, timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0


def _engine_pid(data: Path) -> int:
    import json
    import time

    for _ in range(400):
        for path in (data / "tasks").glob("*.json"):
            rec = json.loads(path.read_text())
            if rec.get("versions", {}).get("1"):
                return rec["versions"]["1"]["meta"]["pid"]
        time.sleep(0.05)
    raise AssertionError("no version was made")


def _gone(pid: int, timeout: float = 5.0) -> bool:
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return True  # exited, waiting to be reaped by init
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_engine_processes_end_with_the_server_even_when_it_is_killed(tmp_path):
    import numpy as np

    from inpaint_studio.core.audio import Audio
    from inpaint_studio.core.encode import encode_audio

    song = tmp_path / "s.wav"
    t = np.arange(44100 * 8) / 44100
    encode_audio(Audio(np.asarray([0.2 * np.sin(2 * np.pi * 440 * t)], np.float32), 44100), song)
    for stop in (signal.SIGTERM, signal.SIGKILL):
        data = tmp_path / f"data-{stop}"
        proc, info = _start("--key", "k", "--data", str(data), home=tmp_path)
        try:
            with open(song, "rb") as fh:
                resp = requests.post(info["Local MusicGPT server"] + "/v1/inpaint",
                                     headers={"Authorization": "k"}, timeout=30,
                                     data={"prompt": "p", "replace_start_at": 2,
                                           "replace_end_at": 5, "num_outputs": 1},
                                     files={"audio_file": fh})
            assert resp.status_code == 200
            pid = _engine_pid(data)
            assert pid != proc.pid
        finally:
            proc.send_signal(stop)
            proc.wait(timeout=15)
        assert _gone(pid), f"engine process {pid} outlived the server ({stop!r})"
