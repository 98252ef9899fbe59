"""Writes that never leave a partial file: write to a temporary sibling, fsync, rename.

A temporary is named `.<target name>.<writer's pid>.<random><suffix with ".part">`, so the
temporaries of a writer that was killed (SIGKILL leaves them behind) are recognised and swept:
at the start of every write of the same target and after each successful one. A temporary of a
live writer (another process, or this one) is never touched."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from inpaint_studio.core.system import pid_alive

LEGACY_STALE_S = 3600.0  # a temporary without a pid (older versions) is stale after this


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str], suffix: str | None = None, mode: int = 0o666
) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it is fsynced and renamed onto
    `target`, on any error it is removed and `target` is left as it was. The file gets `mode`
    less the process umask, as a plain `open()` would give it (mkstemp alone makes it 0600)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target)
    suffix = suffix or (target.suffix + ".part")
    if ".part" not in suffix:
        suffix += ".part"
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=suffix, dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, mode & ~_umask())
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
        _fsync_dir(target.parent)
        sweep_stale(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def sweep_stale(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporaries of `target` whose writer is gone; returns what was removed."""
    target = Path(target)
    prefix = f".{target.name}."
    removed = []
    for path in target.parent.glob(glob.escape(prefix) + "*"):
        rest = path.name[len(prefix):]
        if ".part" not in rest:
            continue
        writer = rest.split(".", 1)[0]
        if writer.isdigit():
            if pid_alive(int(writer)):
                continue
        else:
            try:
                if time.time() - path.stat().st_mtime < LEGACY_STALE_S:
                    continue
            except OSError:
                continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def _umask() -> int:
    """The process umask, read without changing it (os.umask would race other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
