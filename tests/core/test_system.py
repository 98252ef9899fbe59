"""The shared file hash and process check that projects, the job store and downloads use."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from inpaint_studio.core.cancel import Cancelled, CancelToken
from inpaint_studio.core.system import pid_alive, sha256_file


def test_sha256_file_matches_hashlib_across_pieces(tmp_path):
    data = bytes(range(256)) * 9000  # more than two 1 MiB pieces, not a whole number of them
    path = tmp_path / "blob"
    path.write_bytes(data)
    seen = []
    assert sha256_file(path, progress=lambda done, total: seen.append((done, total))) == (
        hashlib.sha256(data).hexdigest())
    assert seen[-1] == (len(data), len(data)) and len(seen) == 3


def test_sha256_file_stops_when_cancelled(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(b"x" * 10)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        sha256_file(path, token)


def test_pid_alive():
    assert pid_alive(0) is False and pid_alive(-1) is False  # groups, not processes
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the id names no process now
    assert pid_alive(child.pid) is False
    assert pid_alive(os.getpid()) is True
