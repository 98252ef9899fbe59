"""The local server's HTTP routes (FastAPI), under /api/public/v1/… like the real host:
`GET /v1/` (key check), `POST /v1/inpaint`, `GET /v1/byId`, and the result files under /files/
(Range requests supported, no key needed, like the CDN). Everything is wrapped in the fault
middleware, which also logs submits and file requests (`submits.log`, `downloads.log`), and
outside it in the body cap (`limits.BodyCap`): no body is read past its cap; outermost, the
`Host` check (`trust.HostCheck`). Tasks keep the hash of the key that made them (`byId` answers
only to that key) and messages carry no server-side paths (`trust`)."""

from __future__ import annotations

import hmac
import logging
import math
import re
import shutil
import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from inpaint_studio.core.decode import probe
from inpaint_studio.core.errors import AudioError
from inpaint_studio.server import wire
from inpaint_studio.server.config import Faults, ServerConfig
from inpaint_studio.server.faults import FaultMiddleware, RequestLog
from inpaint_studio.server.limits import FIELDS_ROOM, BodyCap, BodyTooLarge
from inpaint_studio.server.requests_form import parse_fields
from inpaint_studio.server.store import ServerTaskStore
from inpaint_studio.server.tasks import TaskRunner
from inpaint_studio.server.trust import HostCheck, key_hash, public_text

log = logging.getLogger(__name__)

API = "/api/public/v1"
CONVERSION_TYPES = ("MUSIC_AI", "TEXT_TO_SPEECH", "VOICE_CONVERSION", "EXTRACTION", "COVER",
                    "STEMS_SEPARATION", "VOCAL_EXTRACTION", "DENOISING", "DEECHO", "DEREVERB",
                    "SOUND_GENERATOR", "AUDIO_TRANSCRIPTION", "AUDIO_SPEED_CHANGER",
                    "AUDIO_MASTERING", "AUDIO_CUTTER", "REMIX", "FILE_CONVERT",
                    "KEY_BPM_EXTRACTION", "AUDIO_TO_MIDI", "EXTEND", "INPAINT",
                    "SING_OVER_INSTRUMENTAL", "LYRICS_GENERATOR")
MEDIA = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".jpg": "image/jpeg", ".mid": "audio/midi"}
# The app's own job id, sent with a submit (a local extension of the API): a second submit of
# the same job returns the task the first one made, and `byId?client_job_id=` finds it, so a job
# whose sender died mid-submit is resumed or sent again without a duplicate.
CLIENT_JOB_HEADER = "x-client-job-id"
_CLIENT_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ServerState:
    """Everything the routes share: keys, settings, faults, the task table and the task
    runner."""

    def __init__(self, store: ServerTaskStore, keys: list[str], config: ServerConfig,
                 faults: Faults, task_runner: TaskRunner) -> None:
        self.store, self.keys, self.config, self.faults = store, keys, config, faults
        self.task_runner = task_runner
        # Persisted in the data folder: "one submit, each result fetched once" can be checked
        # across restarts of the server (and of the app it runs in).
        self.submits = RequestLog(store.root / "submits.log")
        self.downloads = RequestLog(store.root / "downloads.log")
        self.credit = config.credit_balance
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}

    def authorised(self, header: str | None) -> str | None:
        """The key the header carries if it is one of ours (raw; "Bearer" only if enabled)."""
        value = (header or "").strip()
        if self.config.accept_bearer and value[:7].lower() == "bearer ":
            value = value[7:].strip()
        for key in self.keys:
            if value and hmac.compare_digest(value.encode(), key.encode()):
                return key
        return None

    def byid_wait(self, key: str) -> float:
        """0 if this byId call is within the per-minute limit, else seconds until it would be."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and now - calls[0] >= 60.0:
                calls.popleft()
            if len(calls) >= self.config.byid_limit:
                return 60.0 - (now - calls[0])
            calls.append(now)
            return 0.0


def _json(body: dict[str, Any], status: int = 200, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def _unauthorised(state: ServerState) -> JSONResponse:
    return _json(wire.AUTH_FAILED, state.config.auth_failure_status)


async def _drain(request: Request) -> None:
    """Read (and drop) the rest of a body we refuse, so the client reads our answer; at most
    up to the body cap (`limits.BodyCap`), which then answers 413 instead."""
    try:
        async for _ in request.stream():
            pass
    except BodyTooLarge:
        pass


def create_app(state: ServerState) -> Any:
    """The ASGI application (FastAPI app inside the fault middleware)."""
    app = FastAPI(title="Inpaint Studio local MusicGPT server", docs_url=None, redoc_url=None,
                  openapi_url=None)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s: %s", request.url.path, exc)
        return _json(wire.SERVER_ERROR, 500)

    @app.get(API + "/")
    async def check_key(request: Request) -> JSONResponse:
        if not state.authorised(request.headers.get("authorization")):
            return _unauthorised(state)
        return _json({"success": True, "message": "API key is valid"})

    @app.post(API + "/inpaint")
    async def inpaint(request: Request) -> JSONResponse:
        key = state.authorised(request.headers.get("authorization"))
        if not key:
            await _drain(request)
            return _unauthorised(state)
        # The body's size (declared and actual) is capped by BodyCap, around this app.
        job_id = request.headers.get(CLIENT_JOB_HEADER, "").strip()
        if job_id and not _CLIENT_JOB_ID.match(job_id):
            await _drain(request)
            return _json(wire.error_422(state.config.validation_style, "The client job id must "
                                        "be 1-64 letters, digits, '-' or '_'.",
                                        [(CLIENT_JOB_HEADER, "invalid")]), 422)
        return await _submit(state, request, key, job_id)

    @app.get(API + "/byId")
    async def by_id(request: Request) -> JSONResponse:
        key = state.authorised(request.headers.get("authorization"))
        if not key:
            return _unauthorised(state)
        wait_s = state.byid_wait(key)
        if wait_s > 0:
            return _json({"success": False, "message": "Rate limit exceeded: too many status "
                          "requests per minute. Please slow down."}, 429,
                         {"Retry-After": str(max(1, math.ceil(wait_s)))})
        q = request.query_params
        ctype, task_id, cid = q.get("conversionType"), q.get("task_id"), q.get("conversion_id")
        job_id = q.get("client_job_id")
        if ctype not in CONVERSION_TYPES or sum(map(bool, (task_id, cid, job_id))) != 1:
            return _json(wire.BAD_PARAMS, 400)
        rec = None
        if ctype == "INPAINT":
            if task_id:
                rec = state.store.get(task_id)
            elif cid:
                rec = state.store.by_conversion(cid)
            else:
                rec = state.store.by_client_job(key_hash(key), job_id or "")
        if rec is None or rec.get("key_hash", key_hash(key)) != key_hash(key):
            # A task made with another key is not this caller's to see (tasks stored before
            # keys were recorded have no hash and stay visible).
            return _json(wire.NOT_FOUND, 404)
        return _json(wire.conversion_body(rec, str(request.base_url)))

    @app.api_route("/files/{rel:path}", methods=["GET", "HEAD"])
    async def files(rel: str) -> Any:
        path = state.store.file_path(rel)
        if path is None:
            return _json({"success": False, "message": "File not found"}, 404)
        return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"))

    cfg = state.config

    def cap_for(scope: dict[str, Any]) -> int:
        ctype = dict(scope.get("headers", ())).get(b"content-type", b"").lower()
        if scope.get("method") == "POST" and scope.get("path") == API + "/inpaint" and \
                ctype.startswith(b"multipart/form-data"):
            return cfg.max_upload_bytes + FIELDS_ROOM
        return cfg.max_json_bytes

    return HostCheck(BodyCap(FaultMiddleware(app, state.faults, state.submits, state.downloads),
                             cap_for))


def _too_large(limit: int) -> JSONResponse:
    return _json({"success": False, "message": f"The uploaded file is too large (the limit is "
                  f"{limit // (1024 * 1024)} MB)."}, 413)


async def _read_body(request: Request) -> tuple[dict[str, Any], UploadFile | None]:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        data = await request.json()
        return (data if isinstance(data, dict) else {}), None
    form = await request.form(max_files=2, max_fields=64)
    upload = form.get("audio_file")
    raw = {k: v for k, v in form.items() if isinstance(v, str)}
    return raw, upload if isinstance(upload, UploadFile) and upload.filename else None


def _save_upload(upload: UploadFile, folder: Path, limit: int) -> Path | None:
    """Copy the spooled upload into `folder`; None (and nothing kept) if over `limit` bytes."""
    suffix = Path(upload.filename or "").suffix.lower()
    target = folder / ("song" + (suffix if suffix.isascii() and len(suffix) <= 5 else ""))
    size = 0
    upload.file.seek(0)
    with open(target, "wb") as fh:
        while block := upload.file.read(1 << 20):
            size += len(block)
            if size > limit:
                break
            fh.write(block)
    if size > limit:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return target


async def _submit(state: ServerState, request: Request, key: str,
                  job_id: str = "") -> JSONResponse:
    cfg = state.config
    try:
        raw, upload = await _read_body(request)
    except BodyTooLarge:
        return _too_large(cfg.max_upload_bytes)  # BodyCap answers 413 in any case
    except Exception:  # malformed multipart/JSON: starlette raises several kinds
        return _json(wire.error_422(cfg.validation_style, "The request body could not be read.",
                                    [("body", "invalid body")]), 422)
    try:
        return await _submit_read(state, request, raw, upload, key, job_id)
    finally:
        if upload is not None:
            await upload.close()  # the spooled copy of the upload (a temporary file)


async def _submit_read(state: ServerState, request: Request, raw: dict[str, Any],
                       upload: UploadFile | None, key: str, job_id: str = "") -> JSONResponse:
    cfg = state.config
    parsed = parse_fields(raw, upload is not None, region_min_s=cfg.region_min_s,
                          region_max_s=cfg.region_max_s)
    if parsed.missing:
        return _json(wire.error_422(cfg.validation_style, wire.REQUIRED_422,
                                    [(f, "field required") for f in parsed.missing]), 422)
    if parsed.problems:
        text = "; ".join(m for _, m in parsed.problems) + "."
        if any(f == "replace_end_at" for f, _ in parsed.problems):
            text = wire.REQUIRED_422 + " " + text
        return _json(wire.error_422(cfg.validation_style, text, parsed.problems), 422)
    req = parsed.values
    task_id = str(uuid.uuid4())
    song_path: Path | None = None
    duration: float | None = None
    if upload is not None:
        folder = state.store.upload_dir(task_id)
        song_path = await run_in_threadpool(_save_upload, upload, folder, cfg.max_upload_bytes)
        if song_path is None:
            return _too_large(cfg.max_upload_bytes)
        problem, duration = await run_in_threadpool(_check_song, song_path, req, cfg)
        problem = public_text(problem, str(state.store.root))
        if problem:
            shutil.rmtree(folder, ignore_errors=True)
            return _json(wire.error_422(cfg.validation_style, problem, [("audio_file", problem)]),
                         422)
    return _accept(state, request, task_id, req, song_path, duration, key, job_id)


def _check_song(path: Path, req: dict[str, Any], cfg: ServerConfig) -> tuple[str, float | None]:
    try:
        info = probe(path)
    except AudioError as exc:
        return f"audio_file is not audio that can be decoded: {exc}", None
    duration = info.declared_duration
    if duration is None:
        return "", None
    if duration > cfg.max_song_seconds:
        return (f"The song is {duration / 60:.1f} minutes long; the limit is "
                f"{cfg.max_song_seconds / 60:.0f} minutes."), duration
    if req["replace_end_at"] > duration + 0.05:
        return (f"{wire.REQUIRED_422} replace_end_at ({req['replace_end_at']:g} s) is after the "
                f"end of the song ({duration:.2f} s)."), duration
    return "", duration


def _accept(state: ServerState, request: Request, task_id: str, req: dict[str, Any],
            song_path: Path | None, duration: float | None, key: str,
            job_id: str = "") -> JSONResponse:
    cfg = state.config
    n = req["num_outputs"]
    estimate = cfg.plan_obj().credit_estimate(n)
    with state._lock:  # credit and parallel checks and the record creation are one step
        made = state.store.by_client_job(key_hash(key), job_id) if job_id else None
        if made is not None:
            # The same job sent again (its sender died before it read our answer): the task
            # the first submit made is the answer; nothing new is made or charged.
            if song_path is not None:
                shutil.rmtree(song_path.parent, ignore_errors=True)
            log.info("submit of client job %s again: task %s", job_id[:8], made["task_id"])
            return _json(wire.submit_body(made))
        if state.credit is not None and estimate > state.credit + 1e-9:
            if song_path is not None:
                shutil.rmtree(song_path.parent, ignore_errors=True)
            return _json({"success": False, "error": "Insufficient credits for this operation",
                          "required_credits": estimate,
                          "available_credits": round(state.credit, 4)}, 402)
        if state.store.active() >= cfg.parallel_limit:
            if song_path is not None:
                shutil.rmtree(song_path.parent, ignore_errors=True)
            return _json(wire.RATE_LIMITED, 429)
        if state.credit is not None:
            state.credit = round(state.credit - estimate, 6)
        eta = int(round(cfg.eta_base_s + cfg.eta_per_song_s * duration)) if duration else -1
        rec = {
            "task_id": task_id, "status": "IN_QUEUE", "message": "Waiting for the local engine",
            "conversion_ids": [str(uuid.uuid4()) for _ in range(n)],
            "request": {k: v for k, v in req.items()},
            "song_path": str(song_path) if song_path else None, "song_duration": duration,
            "eta": eta, "credit_estimate": estimate, "seed": int(task_id[:8], 16),
            "key_hash": key_hash(key), "client_job_id": job_id or None,
            "versions": {},
        }
        state.store.create(rec)
    state.task_runner.start(task_id, str(request.base_url))
    log.info("accepted task %s (%d outputs)", task_id, n)
    return _json(wire.submit_body(rec))
