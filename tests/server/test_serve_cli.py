"""`inpaint-studio serve` in a real subprocess: prints its address and a fresh key, answers with
that key only, and stops cleanly on Ctrl+C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str, home: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    env = {**os.environ, "INPAINT_STUDIO_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "inpaint_studio", "serve", "--port", "0",
                             "--engine", "quick", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    info: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.match(r"(Local MusicGPT server|API key|Data folder): (.+)", line.strip())
        if m:
            info[m.group(1)] = m.group(2)
        if line.startswith("Press Ctrl+C"):
            break
    return proc, info


def test_serve_prints_a_random_key_and_stops_on_ctrl_c(tmp_path):
    proc, info = _start(home=tmp_path)
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
