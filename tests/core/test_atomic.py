"""Atomic writes: all or nothing, and ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from inpaint_studio.core.atomic import atomic_path, atomic_write_text


def test_written_file_has_ordinary_permissions(tmp_path):
    target = tmp_path / "song.wav"
    atomic_write_text(target, "x")
    mode = stat.S_IMODE(os.stat(target).st_mode)
    umask = os.umask(0o022)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "project.inpaint"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["project.inpaint"]
