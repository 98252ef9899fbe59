"""Projects: save/open round trip with the edit stack, moved/changed sources, autosave and
restore after a crash, and a kill in the middle of an autosave."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.history import EditStack
from inpaint_studio.core.project import (
    Project,
    ProjectError,
    adopt_segments,
    crashed_autosaves,
    edit_records,
    find_moved_source,
    load_autosave,
    load_project,
    missing_segments,
    rebuild_stack,
    remove_autosave,
    save_project,
    sidecar_dir,
    source_status,
    write_autosave,
    write_segment,
)
from inpaint_studio.core.system import sha256_file

RATE = 22050
ROOT = Path(__file__).resolve().parents[2]


def noise(seconds: float, seed: int) -> Audio:
    rng = np.random.default_rng(seed)
    return Audio(rng.uniform(-0.5, 0.5, (2, int(seconds * RATE))).astype(np.float32), RATE)


def edited(tmp_path: Path):
    song = noise(12, 1)
    original = song.samples.copy()
    stack = EditStack(song)
    stack.record_region(None, (1.0, 3.0))
    stack.keep(noise(12, 2), (1.0, 3.0), 0.03, {"version": 1, "job": "j1"})
    stack.keep(noise(12, 3), (6.0, 8.0), 0.1, {"version": 2, "job": "j2"})
    stack.undo()  # the last keep stays redoable
    files = {e.id: write_segment(e.segment, RATE, tmp_path / "segs", e.id)
             for e in stack.keeps()}
    return song, original, stack, files


def test_save_open_round_trip_rebuilds_the_song_exactly(tmp_path):
    song, original, stack, files = edited(tmp_path)
    src = tmp_path / "song.wav"
    src.write_bytes(b"pretend song bytes")
    project = Project(source_path=str(src), source_sha256=sha256_file(src),
                      source_size=src.stat().st_size, sample_rate=RATE, channels=2,
                      frames=song.frames, edits=edit_records(stack.entries, files),
                      position=stack.position, region=[1.0, 3.0], crossfade_ms=30.0)
    project.upsert_job({"id": "j1", "stage": "done", "task_id": "T1", "params": {"prompt": "x"},
                        "results": [{"index": 1, "path": "/cache/a.mp3"}]})
    project.upsert_job({"id": "j1", "stage": "done", "task_id": "T1b"})
    project.upsert_job({"id": "j2", "stage": "queued"})
    path = tmp_path / "proj" / "my.inpaint"
    adopt_segments(project, sidecar_dir(path))
    save_project(project, path)
    on_disk = json.loads(path.read_text())
    assert on_disk["schema"] == 1
    assert all(not Path(r["segment_file"]).is_absolute()
               for r in on_disk["edits"] if r["kind"] == "keep")  # the project folder can move
    assert "samples" not in path.read_text()
    opened = load_project(path)
    assert [j["id"] for j in opened.jobs] == ["j1", "j2"] and opened.jobs[0]["task_id"] == "T1b"
    assert opened.position == 2 and opened.region == [1.0, 3.0]
    fresh = Audio(original.copy(), RATE)
    rebuilt = rebuild_stack(fresh, opened.edits, opened.position)
    assert np.array_equal(fresh.samples, song.samples)
    assert [e.kind for e in rebuilt.entries] == ["region", "keep", "keep"]
    rebuilt.redo()
    stack.redo()
    assert np.array_equal(fresh.samples, song.samples)
    while rebuilt.can_undo:
        rebuilt.undo()
    assert np.array_equal(fresh.samples, original)


def test_a_failed_rebuild_leaves_the_song_as_it_was(tmp_path):
    song, original, stack, files = edited(tmp_path)
    records = edit_records(stack.entries, files)
    keeps = [r for r in records if r["kind"] == "keep"]
    Path(keeps[1]["segment_file"]).write_bytes(b"not audio")  # the second keep is corrupt
    fresh = Audio(original.copy(), RATE)
    with pytest.raises(Exception):  # noqa: B017 - soundfile's own error type
        rebuild_stack(fresh, records, 3)
    assert np.array_equal(fresh.samples, original)
    Path(keeps[1]["segment_file"]).unlink()
    project = Project(source_path="/x.wav", edits=records)
    assert missing_segments(project) == [keeps[1]["segment_file"]]
    with pytest.raises(ProjectError, match="missing"):
        rebuild_stack(fresh, records, 3)
    assert np.array_equal(fresh.samples, original)


def test_moved_or_changed_source_is_detected_by_hash(tmp_path):
    src = tmp_path / "a" / "song.flac"
    encode_audio(noise(1, 4), src)
    project = Project(source_path=str(src), source_sha256=sha256_file(src),
                      source_size=src.stat().st_size)
    assert source_status(project) == "ok"
    moved = tmp_path / "b" / "song.flac"
    moved.parent.mkdir()
    src.rename(moved)
    assert source_status(project) == "missing"
    assert find_moved_source(project, [tmp_path / "a", tmp_path / "b"]) == moved
    encode_audio(noise(1, 5), src)  # a different song under the old name
    assert source_status(project) == "changed"
    assert source_status(project, moved) == "ok"


def test_bad_project_files_say_why(tmp_path):
    bad = tmp_path / "bad.inpaint"
    bad.write_text("{not json")
    with pytest.raises(ProjectError, match="bad JSON"):
        load_project(bad)
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ProjectError, match="not an Inpaint Studio project"):
        load_project(bad)
    bad.write_text(json.dumps({"source_path": "x", "schema": 99}))
    with pytest.raises(ProjectError, match="newer"):
        load_project(bad)
    with pytest.raises(ProjectError, match="Cannot read"):
        load_project(tmp_path / "nope.inpaint")


_AUTOSAVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from inpaint_studio.core.project import Project, write_autosave
    folder, n = Path(sys.argv[1]), int(sys.argv[2])
    i = 0
    while True:
        # A big job list makes every write long enough to be killed in the middle of one.
        jobs = [{"id": f"j{k}", "stage": "done", "note": "x" * 200, "gen": i} for k in range(n)]
        write_autosave(Project(source_path="/song.wav", jobs=jobs, position=i), folder, "S1")
        print(i, flush=True)
        i += 1
""")


def test_restore_after_a_crash_and_kill_during_autosave(tmp_path):
    folder = tmp_path / "autosave"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for delay in (0.3, 0.45, 0.6):
        proc = subprocess.Popen([sys.executable, "-c", _AUTOSAVER, str(folder), "3000"],
                                stdout=subprocess.PIPE, env=env, cwd=ROOT)
        assert proc.stdout is not None
        proc.stdout.readline()  # at least one autosave is complete
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)  # a crash, most likely in the middle of a write
        proc.wait()
        found = crashed_autosaves(folder)
        assert len(found) == 1 and found[0].pid == proc.pid
        restored = load_autosave(found[0])  # whole: the old or the new, never a partial file
        assert restored.source_path == "/song.wav" and len(restored.jobs) == 3000
        assert {j["gen"] for j in restored.jobs} == {restored.position}
        assert all(p.suffix == ".inpaint" for p in folder.iterdir() if not p.name.startswith("."))
        remove_autosave(folder, "S1")
        assert list(folder.iterdir()) == []
        remove_autosave(folder, "S1")
        assert crashed_autosaves(folder) == []


def test_a_running_session_is_not_offered_and_clean_quit_removes_it(tmp_path):
    folder = tmp_path / "autosave"
    write_autosave(Project(source_path="/x.wav"), folder, "mine")
    assert crashed_autosaves(folder) == []  # this process is alive
    (folder / "mine-files").mkdir()
    remove_autosave(folder, "mine")
    assert list(folder.iterdir()) == []
