"""Per-user locations (platformdirs). `INPAINT_STUDIO_HOME` puts all of them under one folder,
which the tests and the frozen-build smoke test use so that they never touch a user's files."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from inpaint_studio.identity import EXECUTABLE, ORGANISATION


def _base(kind: str) -> Path:
    home = os.environ.get("INPAINT_STUDIO_HOME")
    if home:
        return Path(home) / kind
    dirs = platformdirs.PlatformDirs(EXECUTABLE, ORGANISATION)
    return Path(
        {
            "config": dirs.user_config_dir,
            "data": dirs.user_data_dir,
            "cache": dirs.user_cache_dir,
            "logs": dirs.user_log_dir,
        }[kind]
    )


def config_dir() -> Path:
    """Settings (QSettings INI file)."""
    return _ensure(_base("config"))


def data_dir() -> Path:
    """The job store, autosaves and the local server's tasks."""
    return _ensure(_base("data"))


def cache_dir() -> Path:
    """Downloaded results and decoded caches; safe to delete."""
    return _ensure(_base("cache"))


def log_dir() -> Path:
    return _ensure(_base("logs"))


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
