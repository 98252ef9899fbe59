"""`LocalServer`: the local MusicGPT-compatible server on a thread of this process (uvicorn on
127.0.0.1, port 0 = any free port), with a readiness wait and `stop()` — like moto's
ThreadedMotoServer. The engine itself runs in spawned processes (see tasks.py). On start, the
tasks a previous run left unfinished (stopped or killed) are run again (see store.py)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import uvicorn

from inpaint_studio.core.redact import remember
from inpaint_studio.server.app import ServerState, create_app
from inpaint_studio.server.config import DEFAULT_ENGINE, Faults, ServerConfig
from inpaint_studio.server.store import ServerTaskStore
from inpaint_studio.server.tasks import TaskRunner
from inpaint_studio.server.webhooks import WebhookSender

log = logging.getLogger(__name__)

QUICK_ENGINE = "inpaint_studio.server.quick_engine:fill_region"


def engine_ref(engine: Any) -> str:
    """`None` → the real engine; "quick" → the test engine; a "module:function" string as is;
    a module-level function → its reference (the engine processes import it by name)."""
    if engine is None:
        return DEFAULT_ENGINE
    if engine == "quick":
        return QUICK_ENGINE
    if isinstance(engine, str):
        return engine
    return f"{engine.__module__}:{engine.__qualname__}"


class LocalServer:
    def __init__(self, data_dir: Path, api_key: str, *, port: int = 0, engine: Any = None,
                 config: ServerConfig | None = None, host: str = "127.0.0.1",
                 engine_pool: Any = None) -> None:
        """`engine_pool`: a `tasks.engine_process_pool` owned by the caller, to share between
        servers (the tests do, to spawn the engine's processes once); by default the server
        makes its own on first use and ends it on `stop()`."""
        if not api_key:
            raise ValueError("The local server needs an API key.")
        self.config = config or ServerConfig()
        for key in (api_key, *self.config.extra_keys):
            remember(key)  # the server's logs and messages never show a key
        self.faults = Faults()
        self.host, self._port = host, port
        self.store = ServerTaskStore(Path(data_dir))
        self.webhooks = WebhookSender(self.config.webhook_timeout_s, self.config.webhook_attempts,
                                      loopback_only=not self.config.allow_remote_webhooks)
        self.task_runner = TaskRunner(self.store, self.config, self.faults,
                                      engine_ref(engine), self.webhooks, engine_pool)
        self.state = ServerState(self.store, [api_key, *self.config.extra_keys], self.config,
                                 self.faults, self.task_runner)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def __repr__(self) -> str:
        return f"LocalServer({self.base_url if self._server else 'stopped'}, key=***)"

    @property
    def port(self) -> int:
        if self._server is None or not self._server.servers:
            raise RuntimeError("the server is not running")
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/public"

    @property
    def submit_count(self) -> int:
        """Submits this server's data folder has seen, over all its runs (`submits.log`)."""
        return self.state.submits.count

    def download_counts(self) -> dict[str, int]:
        """GETs of each result file path, over all runs of this data folder (`downloads.log`)."""
        return self.state.downloads.paths("GET")

    def start(self, timeout: float = 20.0) -> None:
        """Start serving; returns once the socket accepts connections (RuntimeError if not)."""
        config = uvicorn.Config(create_app(self.state), host=self.host, port=self._port,
                                log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="local-musicgpt", daemon=True)
        self._thread.start()
        for _ in range(int(timeout / 0.02)):
            if self._server.started or self._failure or not self._thread.is_alive():
                break
            threading.Event().wait(0.02)
        if not self._server.started:
            self.stop()
            raise RuntimeError(f"The local server did not start on {self.host}:{self._port}"
                               + (f": {self._failure}" if self._failure else "."))
        log.info("local server listening on %s", self.base_url)
        # Tasks the previous server (or app) left unfinished run again, with the same ids.
        root = f"http://{self.host}:{self.port}/"
        for task_id in self.store.unfinished():
            log.info("running task %s again after a restart", task_id)
            self.task_runner.start(task_id, root)

    def _serve(self) -> None:
        assert self._server is not None
        try:
            self._server.run()
        except BaseException as exc:  # e.g. port in use: reported by start()
            self._failure = exc

    def serve_forever(self) -> None:
        """Block until `stop()` is called from elsewhere (or the thread ends)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.2)

    def stop(self) -> None:
        """Stop serving, stop the jobs (running ones are abandoned) and the webhooks."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.task_runner.stop()
        self.webhooks.close()

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
