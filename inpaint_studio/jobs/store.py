"""The job store: every inpaint job, persisted in SQLite (WAL) before anything is sent.

A job moves through `Stage`s by atomic transitions (`UPDATE ... WHERE stage IN (...)` inside one
transaction), so two processes sharing the store (the GUI and `inpaint-studio resume`) can never
both submit a job. A runner claims a job with a lease (its pid and an expiry); a lease whose
process has died or whose time is up may be taken over. The schema carries a version
(`PRAGMA user_version`) and is migrated forward on open; a column that only adds information
(`ADDED_COLUMNS`) is added in place without a new version, so an older app can still open the
store (it reads columns by name and ignores the new one)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from inpaint_studio.core.redact import redact
from inpaint_studio.core.system import pid_alive

SCHEMA_VERSION = 1
LEASE_S = 90.0  # a runner renews its lease at least this often (every poll, every progress step)


class Stage(str, Enum):
    """Where a job is. Only `CREATED` jobs may be submitted; `SUBMITTING` after a crash means
    the POST may have reached the server, so it becomes `UNKNOWN`, never a second POST."""

    CREATED = "created"  # persisted, nothing sent yet
    SUBMITTING = "submitting"  # the POST is being sent (uploading)
    UNKNOWN = "unknown"  # the POST may have reached the server; never resubmitted silently
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    PARTIAL = "partial"  # version 1 is ready on the server, version 2 is not yet
    DOWNLOADING = "downloading"
    ALIGNING = "aligning"
    DONE = "done"
    FAILED = "failed"

    @property
    def in_flight(self) -> bool:
        """True while there is still work to do for this job without asking the user."""
        return self in IN_FLIGHT


IN_FLIGHT = frozenset(
    {Stage.CREATED, Stage.QUEUED, Stage.IN_PROGRESS, Stage.PARTIAL, Stage.DOWNLOADING,
     Stage.ALIGNING}
)  # fmt: skip


class StaleTransition(Exception):
    """The job was not in a stage the transition starts from (another runner moved it)."""


@dataclass
class Result:
    """One returned version of a job and its local copy."""

    index: int
    conversion_id: str = ""
    url: str = ""
    alt_url: str = ""  # the same version in another format (the MP3 beside a WAV): a fallback
    duration: float | None = None
    path: str = ""  # the verified download in the cache, "" until downloaded
    sha256: str = ""
    size: int = 0
    aligned: dict[str, Any] = field(default_factory=dict)  # how it maps onto the original
    # The version's part as a MIDI file (the local session player's; MusicGPT sends none):
    # its address, and the verified download beside the audio ("" when there is none).
    midi_url: str = ""
    midi_path: str = ""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


@dataclass
class Job:
    """A snapshot of one row of the store. Mutating it changes nothing; use `JobStore`."""

    id: str
    created_at: float
    updated_at: float
    stage: Stage
    backend: str  # "local" | "musicgpt"
    base_url: str
    source: str  # the song the user opened: a path or an http(s) address
    upload_path: str  # the file that is uploaded ("" when sent as audio_url)
    start: float
    end: float
    params: dict[str, Any]  # InpaintRequest fields other than the audio and the range
    task_id: str = ""
    conversion_ids: list[str] = field(default_factory=list)
    eta: int | None = None
    credit_estimate: float | None = None
    submitted_at: float | None = None
    server_status: str = ""
    message: str = ""  # the latest reason or note, in the user's words
    error_kind: str = ""  # the class name of the error that stopped the job
    paused: bool = False  # the user stopped waiting; `resume` continues
    submit_attempts: int = 0  # POSTs sent; more than one only after an explicit retry
    results: list[Result] = field(default_factory=list)
    deliver_to: str = ""  # the folder `submit --out` asked for: `resume` copies the versions there

    @property
    def prompt(self) -> str:
        return str(self.params.get("prompt", ""))

    def result(self, index: int) -> Result | None:
        return next((r for r in self.results if r.index == index), None)

    @property
    def runnable(self) -> bool:
        """True when a runner should pick this job up on its own (resume on start)."""
        return self.stage.in_flight and not self.paused


_COLUMNS = (
    "id", "created_at", "updated_at", "stage", "backend", "base_url", "source", "upload_path",
    "start", "end_", "params", "task_id", "conversion_ids", "eta", "credit_estimate",
    "submitted_at", "server_status", "message", "error_kind", "paused", "submit_attempts",
    "results", "runner_pid", "lease_until", "deliver_to",
)  # fmt: skip
# Columns added after schema 1, each with its definition: added on open where missing.
ADDED_COLUMNS = {"deliver_to": "TEXT NOT NULL DEFAULT ''"}
_JSON = {"params", "conversion_ids", "results"}
# Free text that may carry a server's or an exception's words: redacted (core.redact) when
# written and again when read, so no secret is stored or shown from the store.
_TEXT = {"message", "error_kind", "server_status"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    stage TEXT NOT NULL,
    backend TEXT NOT NULL,
    base_url TEXT NOT NULL,
    source TEXT NOT NULL,
    upload_path TEXT NOT NULL,
    start REAL NOT NULL,
    end_ REAL NOT NULL,
    params TEXT NOT NULL,
    task_id TEXT NOT NULL DEFAULT '',
    conversion_ids TEXT NOT NULL DEFAULT '[]',
    eta INTEGER,
    credit_estimate REAL,
    submitted_at REAL,
    server_status TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    error_kind TEXT NOT NULL DEFAULT '',
    paused INTEGER NOT NULL DEFAULT 0,
    submit_attempts INTEGER NOT NULL DEFAULT 0,
    results TEXT NOT NULL DEFAULT '[]',
    runner_pid INTEGER,
    lease_until REAL
);
CREATE INDEX IF NOT EXISTS jobs_stage ON jobs(stage);
CREATE INDEX IF NOT EXISTS jobs_source ON jobs(source);
"""


def default_path() -> Path:
    from inpaint_studio import paths

    return paths.data_dir() / "jobs.sqlite3"


class JobStore:
    """Thread-safe access to the jobs table. One connection per thread; every write is one
    short transaction, so the GUI thread never waits long on a worker (WAL lets readers run
    while a writer commits)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = self._conn()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"The job store {self.path} was written by a newer Inpaint Studio "
                f"(schema {version}); this version understands up to {SCHEMA_VERSION}."
            )
        # Idempotent: CREATE ... IF NOT EXISTS. Later schema versions migrate here, in order.
        db.executescript(_SCHEMA)
        have = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
        for name, definition in ADDED_COLUMNS.items():
            if name not in have:
                with contextlib.suppress(sqlite3.OperationalError):  # another process added it
                    db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {definition}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -- connections ---------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- reading -------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        row = self._conn().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise KeyError(job_id)
        return _to_job(row)

    def list(self, *, source: str | None = None,
             stages: Iterable[Stage] | None = None) -> list[Job]:
        """Jobs, newest first, optionally only those of one song or in some stages."""
        sql, args = "SELECT * FROM jobs", []
        where = []
        if source is not None:
            where.append("source = ?")
            args.append(source)
        if stages is not None:
            st = [Stage(s).value for s in stages]
            where.append(f"stage IN ({','.join('?' * len(st))})")
            args += st
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn().execute(sql + " ORDER BY created_at DESC, rowid DESC", args)
        return [_to_job(r) for r in rows.fetchall()]

    def find(self, prefix: str) -> Job:
        """The job whose id starts with `prefix` (the CLI shows short ids)."""
        rows = self._conn().execute(
            "SELECT * FROM jobs WHERE id LIKE ? LIMIT 2", (prefix + "%",)
        ).fetchall()
        if len(rows) != 1:
            raise KeyError(prefix)
        return _to_job(rows[0])

    # -- writing -------------------------------------------------------------------------------
    def create(self, *, backend: str, base_url: str, source: str, upload_path: str, start: float,
               end: float, params: dict[str, Any], deliver_to: str = "") -> Job:
        """Persist a new job in `CREATED`: nothing has been sent for it yet. `deliver_to`: a
        folder the finished versions are copied to (by whoever finishes the job)."""
        now = time.time()
        row = {
            "id": uuid.uuid4().hex, "created_at": now, "updated_at": now,
            "stage": Stage.CREATED.value, "backend": backend, "base_url": base_url,
            "source": source, "upload_path": upload_path, "start": float(start),
            "end_": float(end), "params": json.dumps(params), "deliver_to": deliver_to,
        }  # fmt: skip
        with self._tx() as db:
            db.execute(
                f"INSERT INTO jobs ({','.join(row)}) VALUES ({','.join('?' * len(row))})",
                tuple(row.values()),
            )
        return self.get(row["id"])

    def transition(self, job_id: str, from_stages: Iterable[Stage] | None, to: Stage | None,
                   **fields: Any) -> Job:
        """Atomically move a job from one of `from_stages` (None: any) to `to` (None: keep the
        stage) and set `fields`. Raises `StaleTransition` when the job is elsewhere."""
        sets = {k if k != "end" else "end_": _encode(k, v) for k, v in fields.items()}
        if to is not None:
            sets["stage"] = Stage(to).value
        sets["updated_at"] = time.time()
        unknown = set(sets) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        sql = f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?"
        args: list[Any] = [*sets.values(), job_id]
        if from_stages is not None:
            st = [Stage(s).value for s in from_stages]
            sql += f" AND stage IN ({','.join('?' * len(st))})"
            args += st
        with self._tx() as db:
            if db.execute(sql, args).rowcount != 1:
                exists = db.execute("SELECT stage FROM jobs WHERE id = ?", (job_id,)).fetchone()
                if exists is None:
                    raise KeyError(job_id)
                raise StaleTransition(f"job {job_id[:8]} is {exists[0]}, not in {from_stages}")
        return self.get(job_id)

    def update(self, job_id: str, **fields: Any) -> Job:
        """Set fields without changing the stage."""
        return self.transition(job_id, None, None, **fields)

    def set_result(self, job_id: str, result: Result) -> Job:
        """Record (or replace) one version's result atomically with respect to other writers."""
        with self._tx() as db:
            row = db.execute("SELECT results FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise KeyError(job_id)
            results = [r for r in json.loads(row[0]) if r.get("index") != result.index]
            results.append(result.__dict__)
            results.sort(key=lambda r: r["index"])
            db.execute("UPDATE jobs SET results = ?, updated_at = ? WHERE id = ?",
                       (json.dumps(results), time.time(), job_id))
        return self.get(job_id)

    def delete(self, job_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    # -- leases --------------------------------------------------------------------------------
    def claim(self, job_id: str, pid: int | None = None) -> bool:
        """Take the job's lease for this process unless another live process holds it."""
        pid = os.getpid() if pid is None else pid
        now = time.time()
        with self._tx() as db:
            row = db.execute(
                "SELECT runner_pid, lease_until FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            if row is None:
                raise KeyError(job_id)
            holder, until = row
            if holder not in (None, pid) and until and until > now and pid_alive(holder):
                return False
            db.execute("UPDATE jobs SET runner_pid = ?, lease_until = ? WHERE id = ?",
                       (pid, now + LEASE_S, job_id))
        return True

    def renew(self, job_id: str, pid: int | None = None) -> None:
        pid = os.getpid() if pid is None else pid
        with self._tx() as db:
            db.execute("UPDATE jobs SET lease_until = ? WHERE id = ? AND runner_pid = ?",
                       (time.time() + LEASE_S, job_id, pid))

    def release(self, job_id: str, pid: int | None = None) -> None:
        pid = os.getpid() if pid is None else pid
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET runner_pid = NULL, lease_until = NULL "
                "WHERE id = ? AND runner_pid = ?", (job_id, pid))

    def holder(self, job_id: str) -> int | None:
        """The pid of the live process running this job, if any."""
        row = self._conn().execute(
            "SELECT runner_pid, lease_until FROM jobs WHERE id = ?", (job_id,)
        ).fetchone()
        if row is None or row[0] is None or not row[1] or row[1] < time.time():
            return None
        return int(row[0]) if pid_alive(row[0]) else None


def _encode(key: str, value: Any) -> Any:
    if key in _TEXT and isinstance(value, str):
        return redact(value)
    if key in _JSON:
        if key == "results":
            value = [r.__dict__ if isinstance(r, Result) else r for r in value]
        return json.dumps(value)
    if isinstance(value, Stage):
        return value.value
    if isinstance(value, bool):
        return int(value)
    return value


def _to_job(row: sqlite3.Row) -> Job:
    d = dict(row)
    return Job(
        id=d["id"], created_at=d["created_at"], updated_at=d["updated_at"],
        stage=Stage(d["stage"]), backend=d["backend"], base_url=d["base_url"],
        source=d["source"], upload_path=d["upload_path"], start=d["start"], end=d["end_"],
        params=json.loads(d["params"]), task_id=d["task_id"],
        conversion_ids=json.loads(d["conversion_ids"]), eta=d["eta"],
        credit_estimate=d["credit_estimate"], submitted_at=d["submitted_at"],
        server_status=redact(d["server_status"]), message=redact(d["message"]),
        error_kind=redact(d["error_kind"]),
        paused=bool(d["paused"]), submit_attempts=d["submit_attempts"],
        results=[Result.from_dict(r) for r in json.loads(d["results"])],
        deliver_to=d.get("deliver_to") or "",
    )  # fmt: skip
