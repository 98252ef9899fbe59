"""Small operating-system facts several layers need: a file's SHA-256 (read in pieces, never
whole into memory) and whether a process is still alive. One implementation of each, here in
the lowest layer, so that projects, the job store and downloads agree."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

from inpaint_studio.core.cancel import NEVER, CancelToken

_HASH_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str], token: CancelToken = NEVER,
                progress: Callable[[int, int], None] | None = None) -> str:
    """The SHA-256 of a file, read in 1 MiB pieces (never whole into memory)."""
    h = hashlib.sha256()
    total = os.path.getsize(path)
    done = 0
    with open(path, "rb") as fh:
        buf = bytearray(_HASH_CHUNK)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            token.raise_if_cancelled()
            h.update(view[:n])
            done += n
            if progress is not None:
                progress(done, total)
    return h.hexdigest()


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists (one we may not signal counts as alive). This process is
    alive; 0 and negative ids (process groups, not processes) are not."""
    pid = int(pid)
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
