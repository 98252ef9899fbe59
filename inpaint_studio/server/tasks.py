"""Running accepted tasks: IN_QUEUE → IN_PROGRESS → version 1 → version 2 → COMPLETED, or FAILED
with a reason. One coordinating thread per task; the decode, engine and encodes run in spawned
processes so a server inside the GUI process never stalls it. A task run again after a restart
keeps the versions it had published (same files, no second webhook)."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from inpaint_studio.api.client import is_loopback
from inpaint_studio.api.download import download_file
from inpaint_studio.api.errors import ApiError
from inpaint_studio.api.hops import HopRule
from inpaint_studio.core.atomic import atomic_path
from inpaint_studio.core.cancel import Cancelled, CancelToken
from inpaint_studio.server import proc, wire
from inpaint_studio.server.config import Faults, ServerConfig
from inpaint_studio.server.store import ServerTaskStore, now_iso
from inpaint_studio.server.webhooks import WebhookSender

log = logging.getLogger(__name__)


def engine_process_pool(workers: int) -> ProcessPoolExecutor:
    """The engine's processes: spawned (never forked from a process with threads and Qt), each
    ending itself when its parent is gone."""
    return ProcessPoolExecutor(max_workers=max(1, workers),
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=proc.watch_parent, initargs=(os.getpid(),))


class _Stopped(Exception):
    pass


@dataclass(frozen=True)
class _Armed:
    fail: str | None
    never_finish: bool
    truncate: bool


class TaskRunner:
    """Runs the local server's tasks (the server side of a job): one coordinating thread per
    task, the engine in a process pool, results and webhooks published as versions finish."""

    def __init__(self, store: ServerTaskStore, config: ServerConfig, faults: Faults,
                 engine_ref: str, webhooks: WebhookSender,
                 engine_pool: ProcessPoolExecutor | None = None) -> None:
        self.store, self.config, self.faults = store, config, faults
        # A pool its caller owns (tests share one between their servers, see
        # `engine_process_pool`): used as is, never shut down or terminated here.
        self._shared_procs = engine_pool
        self.engine_ref = engine_ref
        self.webhooks = webhooks
        self._stop = threading.Event()
        self._cancel = CancelToken()  # ends an audio_url download's pauses when the server stops
        self._threads = ThreadPoolExecutor(max_workers=min(16, config.parallel_limit),
                                           thread_name_prefix="server-task")
        self._procs: ProcessPoolExecutor | None = None
        self._procs_lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        if self._shared_procs is not None:
            return self._shared_procs
        with self._procs_lock:
            if self._procs is None:
                workers = self.config.workers or min(self.config.parallel_limit,
                                                     os.cpu_count() or 1)
                self._procs = engine_process_pool(workers)
            return self._procs

    def start(self, task_id: str, base: str) -> None:
        # The job-level faults armed now apply to this job, whatever tests switch later.
        armed = _Armed(self.faults.fail_jobs, self.faults.never_finish,
                       self.faults.truncate_results)
        self._threads.submit(self._run, task_id, base, armed)

    def _call(self, fn: Any, *args: Any) -> Any:
        """Run `fn` in an engine process; give up (raise _Stopped) when the server stops."""
        future: Future = self._pool().submit(fn, *args)
        while not wait([future], timeout=0.1).done:
            if self._stop.is_set():
                future.cancel()
                raise _Stopped()
        return future.result()

    def _run(self, task_id: str, base: str, armed: _Armed) -> None:
        try:
            self._lifecycle(task_id, base, armed)
        except _Stopped:
            pass
        except proc.EngineFailed as exc:
            self._fail(task_id, str(exc))
        except BrokenProcessPool:
            self._fail(task_id, "The local engine process stopped unexpectedly. Submit again.")
        except Exception as exc:  # a job must end FAILED, never hang IN_PROGRESS
            log.exception("task %s failed", task_id)
            self._fail(task_id, f"The local engine failed: {type(exc).__name__}: {exc}")
        finally:
            self.store.drop_work(task_id)

    def _fail(self, task_id: str, reason: str) -> None:
        if not self._stop.is_set():
            self.store.update(task_id, status="FAILED", message=reason)

    def _lifecycle(self, task_id: str, base: str, armed: _Armed) -> None:
        rec = self.store.get(task_id)
        assert rec is not None
        req = rec["request"]
        if armed.fail:
            raise proc.EngineFailed(armed.fail)
        if rec.get("restarts"):
            self.store.drop_partials(task_id)
        song = rec.get("song_path") or self._fetch_url(task_id, req["audio_url"])
        self.store.update(task_id, status="IN_PROGRESS", message="Filling the region")
        if armed.never_finish:
            self._stop.wait()
            raise _Stopped()
        work = self.store.work_dir(task_id)
        n = len(rec["conversion_ids"])
        filled = self._call(proc.run_fill, self.engine_ref, song, req["replace_start_at"],
                            req["replace_end_at"], rec["seed"], n, req["prompt"], str(work))
        subtype = self.config.webhook_subtype
        for i, version in enumerate(filled["versions"], 1):
            cid = rec["conversion_ids"][i - 1]
            title = req.get("title") or f"Inpaint version {i}"
            mp3, wav = self.store.mp3_rel(cid), self.store.wav_rel(cid)
            midi = self.store.midi_rel(cid) if version.get("midi") else None
            if str(i) in rec.get("versions", {}) and self.store.has_files(
                    mp3, wav, *([midi] if midi else [])):
                continue  # published before a restart (and its webhook sent): keep it as is
            for rel in (mp3, wav):
                (self.store.files / rel).parent.mkdir(parents=True, exist_ok=True)
            duration = self._call(proc.encode_version, version["npy"], filled["rate"],
                                  str(self.store.files / mp3), str(self.store.files / wav),
                                  title, armed.truncate)
            if midi:
                # Beside the audio, kept across restarts like it (the work folder is not). The
                # part is an extra: a copy that fails leaves the version without it.
                try:
                    (self.store.files / midi).parent.mkdir(parents=True, exist_ok=True)
                    with atomic_path(self.store.files / midi) as tmp:
                        shutil.copyfile(version["midi"], tmp)
                except OSError as exc:
                    log.warning("task %s: version %d's MIDI was not published: %s", task_id, i,
                                exc)
                    midi = None
            rec = self.store.update(
                task_id, message=f"Version {i} of {n} ready", notes=filled["notes"],
                versions={str(i): {"mp3": mp3, "wav": wav, "midi": midi,
                                   "duration": round(duration, 3),
                                   "title": title, "lyrics": req.get("lyrics") or "",
                                   # The local engine sings nothing new: no lyric timing known.
                                   "lyrics_timestamped": "[]", "meta": version["meta"]}})
            self._hook(rec, wire.conversion_webhook(rec, i, base, subtype))
            if req.get("lyrics_timestamps"):
                self._hook(rec, wire.lyrics_webhook(rec, i))
            if i < n and self.config.version_delay_s and self._stop.wait(
                    self.config.version_delay_s):
                raise _Stopped()
        if req.get("generate_album_cover") and not (
                rec.get("album_cover") and self.store.has_files(rec["album_cover"],
                                                                rec["album_cover_thumb"])):
            image, thumb = self.store.cover_rel(task_id), self.store.cover_rel(task_id, True)
            (self.store.files / image).parent.mkdir(parents=True, exist_ok=True)
            self._call(proc.draw_cover, song, str(self.store.files / image),
                       str(self.store.files / thumb))
            rec = self.store.update(task_id, album_cover=image, album_cover_thumb=thumb)
            self._hook(rec, wire.cover_webhook(rec, base))
        self.store.update(task_id, status="COMPLETED", completed_at=now_iso(),
                          message="Both conversions received" if n == 2
                          else "Conversion received")

    def _hook(self, rec: dict[str, Any], payload: dict[str, Any]) -> None:
        url = rec["request"].get("webhook_url")
        if url:
            self.webhooks.send(url, payload)

    def _fetch_url(self, task_id: str, url: str) -> str:
        """Fetch an `audio_url` song (loopback only unless configured) into the upload folder."""
        host = urlsplit(url).hostname
        if not (self.config.allow_remote_audio_url or is_loopback(host)):
            raise proc.EngineFailed("The file could not be downloaded from the provided URL "
                                    "(the local server only fetches from this computer).")
        suffix = Path(urlsplit(url).path).suffix.lower()
        target = self.store.upload_dir(task_id) / ("song" + (suffix if len(suffix) <= 5 else ""))
        try:
            # The app's one downloader (resumed, retried by api.retry's policy, renamed into
            # place atomically): the kept copy is what a rerun after a restart uses.
            with requests.Session() as session:
                # A loopback song is never fetched through a proxy named in the environment.
                session.trust_env = not is_loopback(host)
                # A redirect stays on the address that was checked above (api.hops): the
                # server is never led off it, to another service on this computer or
                # off the machine.
                download_file(session, url, target, timeout=30, token=self._cancel,
                              verify="none", what=host or "The song's host", name="the song",
                              hops=HopRule(url, same_origin=True))
        except Cancelled:
            raise _Stopped() from None
        except ApiError:
            raise proc.EngineFailed("The file could not be downloaded from the provided URL.")\
                from None
        self.store.update(task_id, song_path=str(target))
        return str(target)

    def stop(self) -> None:
        self._stop.set()
        self._cancel.cancel()
        self._threads.shutdown(wait=False, cancel_futures=True)
        with self._procs_lock:
            pool, self._procs = self._procs, None
        if pool is not None:
            # Engine runs are not interruptible from outside; end the processes outright.
            for process in list(getattr(pool, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
