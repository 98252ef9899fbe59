"""The local server's task store: one JSON file per task (atomic writes) and the result files,
all under the server's data folder, so a restarted server still answers for finished tasks and
runs its unfinished ones again: a record keeps the request fields, the seed and the song's path
(the uploaded or fetched file, kept under `uploads/`), which is all a rerun needs.

Layout: `tasks/<task_id>.json`, `uploads/<task_id>/`, `work/<task_id>/`, and under `files/` the
same paths as MusicGPT's CDN: `conversions/api/standard/<cid>/<cid>.mp3`,
`conversions/api/hq/<cid>/<cid>.wav`, `img-gen-pipeline/api/<task_id>.jpg`, and (a local
extension: the session player's part) `conversions/api/midi/<cid>/<cid>.mid`."""

from __future__ import annotations

import copy
import json
import logging
import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from inpaint_studio.core.atomic import atomic_write_text
from inpaint_studio.server.trust import public_text

log = logging.getLogger(__name__)

TERMINAL = ("COMPLETED", "FAILED", "ERROR")
# A task whose run keeps taking the server down (the app killed mid-job again and again) is
# given up after this many restarts rather than retried forever.
MAX_RESTARTS = 3


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class ServerTaskStore:
    """The local server's task table (not the app's `jobs.store.JobStore`): thread-safe records
    keyed by task id; every change is written through to disk."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir)
        self.files = self.root / "files"
        for sub in ("tasks", "uploads", "work", "files"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._tasks: dict[str, dict[str, Any]] = {}
        self._by_cid: dict[str, str] = {}
        self._by_job: dict[tuple[str, str], str] = {}  # (key hash, client job id) → task id
        self._unfinished: list[str] = []
        self._load()

    def _load(self) -> None:
        for path in sorted((self.root / "tasks").glob("*.json")):
            try:
                rec = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("skipping unreadable task file %s: %s", path.name, exc)
                continue
            if rec.get("status") not in TERMINAL:
                # Its engine run died with the previous server: run it again (same ids, seed
                # and input, so the same result), unless it cannot be redone.
                problem = _redo_problem(rec)
                if problem:
                    rec.update(status="FAILED", updated_at=now_iso(), message=problem)
                else:
                    runs = int(rec.get("restarts", 0)) + (rec.get("status") == "IN_PROGRESS")
                    rec.update(restarts=runs, updated_at=now_iso(),
                               status="IN_QUEUE", message="Waiting for the local engine "
                               "(restarted after the local server stopped)")
                    self._unfinished.append(rec["task_id"])
                self._write(rec)
            self._index(rec)
        self._unfinished.sort(key=lambda t: self._tasks[t].get("created_at", ""))

    def unfinished(self) -> list[str]:
        """Tasks found unfinished when this store was opened (oldest first), to be run again."""
        return list(self._unfinished)

    def _index(self, rec: dict[str, Any]) -> None:
        self._tasks[rec["task_id"]] = rec
        for cid in rec.get("conversion_ids", []):
            self._by_cid[cid] = rec["task_id"]
        if rec.get("client_job_id"):
            self._by_job[(rec.get("key_hash", ""), rec["client_job_id"])] = rec["task_id"]

    def _write(self, rec: dict[str, Any]) -> None:
        atomic_write_text(self.root / "tasks" / f"{rec['task_id']}.json",
                          json.dumps(rec, indent=1, sort_keys=True))

    # -- records ------------------------------------------------------------------------------
    def create(self, rec: dict[str, Any]) -> None:
        with self._lock:
            rec.setdefault("created_at", now_iso())
            rec["updated_at"] = rec["created_at"]
            self._write(rec)
            self._index(rec)

    def update(self, task_id: str, **changes: Any) -> dict[str, Any]:
        """Apply `changes` (a `versions` dict is merged per version) and persist; returns a copy."""
        with self._lock:
            rec = self._tasks[task_id]
            if isinstance(changes.get("message"), str):
                # Served as the task's message: never a path of this server's disk.
                changes["message"] = public_text(changes["message"], str(self.root))
            versions = changes.pop("versions", None)
            rec.update(changes)
            if versions:
                rec.setdefault("versions", {}).update(versions)
            rec["updated_at"] = now_iso()
            self._write(rec)
            return copy.deepcopy(rec)

    def get(self, task_id: str) -> dict[str, Any] | None:
        with self._lock:
            rec = self._tasks.get(task_id)
            return copy.deepcopy(rec) if rec else None

    def by_client_job(self, key_hash: str, client_job_id: str) -> dict[str, Any] | None:
        """The task made for the client's job `client_job_id` with the key of `key_hash`."""
        with self._lock:
            task_id = self._by_job.get((key_hash, client_job_id))
        return self.get(task_id) if task_id else None

    def by_conversion(self, conversion_id: str) -> dict[str, Any] | None:
        with self._lock:
            task_id = self._by_cid.get(conversion_id)
        return self.get(task_id) if task_id else None

    def active(self) -> int:
        with self._lock:
            return sum(1 for r in self._tasks.values() if r.get("status") not in TERMINAL)

    def all_ids(self) -> list[str]:
        with self._lock:
            return list(self._tasks)

    # -- places -------------------------------------------------------------------------------
    def upload_dir(self, task_id: str) -> Path:
        return _mk(self.root / "uploads" / task_id)

    def work_dir(self, task_id: str) -> Path:
        return _mk(self.root / "work" / task_id)

    def drop_work(self, task_id: str) -> None:
        shutil.rmtree(self.root / "work" / task_id, ignore_errors=True)

    def drop_partials(self, task_id: str) -> None:
        """Remove the temp files a killed run left beside this task's results and upload
        (atomic writes name them `.<name>.<random>…`; finished files never start with a dot)."""
        rec = self.get(task_id) or {}
        folders = [self.root / "uploads" / task_id]
        for cid in rec.get("conversion_ids", []):
            folders += [(self.files / self.mp3_rel(cid)).parent,
                        (self.files / self.wav_rel(cid)).parent,
                        (self.files / self.midi_rel(cid)).parent]
        folders.append((self.files / self.cover_rel(task_id)).parent)
        for folder in folders:
            for path in folder.glob(".*") if folder.is_dir() else ():
                if path.is_file() and (task_id in path.name or folder.name != "api"):
                    path.unlink(missing_ok=True)

    def has_files(self, *rels: str) -> bool:
        return all((self.files / rel).is_file() for rel in rels)

    @staticmethod
    def mp3_rel(cid: str) -> str:
        return f"conversions/api/standard/{cid}/{cid}.mp3"

    @staticmethod
    def wav_rel(cid: str) -> str:
        return f"conversions/api/hq/{cid}/{cid}.wav"

    @staticmethod
    def midi_rel(cid: str) -> str:
        """The version's part as a standard MIDI file (session-player versions only)."""
        return f"conversions/api/midi/{cid}/{cid}.mid"

    @staticmethod
    def cover_rel(task_id: str, thumb: bool = False) -> str:
        return f"img-gen-pipeline/api/{task_id}{'_thumb' if thumb else ''}.jpg"

    def file_path(self, rel: str) -> Path | None:
        """The file for a `files/` URL path, or None if it is not one we wrote."""
        parts = rel.split("/")
        if ".." in parts or any(not p for p in parts):
            return None
        path = self.files / rel
        return path if path.is_file() else None


def _mk(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _redo_problem(rec: dict[str, Any]) -> str:
    """Why an unfinished task cannot be run again after a restart ("" if it can)."""
    req = rec.get("request")
    if not isinstance(req, dict) or not rec.get("conversion_ids") or "seed" not in rec or \
            not all(k in req for k in ("prompt", "replace_start_at", "replace_end_at")):
        return ("The local server stopped while this job was running and its saved request is "
                "incomplete, so it cannot be finished. Submit it again.")
    song = rec.get("song_path")
    if song and not Path(song).is_file():
        return ("The local server stopped while this job was running and the song uploaded "
                "for it is gone from the server's folder, so it cannot be finished. "
                "Submit it again.")
    if not song and not req.get("audio_url"):
        return ("The local server stopped while this job was running and no song was saved "
                "for it, so it cannot be finished. Submit it again.")
    if int(rec.get("restarts", 0)) >= MAX_RESTARTS:
        return (f"The local server stopped {MAX_RESTARTS + 1} times while running this job, "
                "so it is not tried again. Submit it again.")
    return ""
