"""The two backends a job can go to, and the one place that makes a client for them.

- **local**: `server.runner.LocalServer`, started in this process on an ephemeral port with a
  random key made for this run, its data in `paths.data_dir()/server`. It is started lazily, on
  the first job or connection test, from a worker thread (starting waits for the server).
- **musicgpt**: the real service at a configurable base URL, with the user's key and plan.

Also what the job form needs without touching the client: request validation, limits and the
cost estimate. No Qt here, so the CLI uses the same code."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inpaint_studio.api.models import GENDERS, InpaintRequest, Issue, Limits
from inpaint_studio.api.plans import DEFAULT_BASE_URL, PLANS, plan_named
from inpaint_studio.backends.keystore import KeyStore

if TYPE_CHECKING:  # the client (and requests) load with the first connection, not at start-up
    from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.core.region import RegionLimits

LOCAL = "local"
MUSICGPT = "musicgpt"
PLAN_NAMES = tuple(PLANS)
DEFAULT_PLAN = "free"
VOICES = GENDERS
REQUEST_FIELDS = ("prompt", "lyrics", "lyrics_section_to_replace", "gender", "num_outputs",
                  "title", "generate_album_cover", "lyrics_timestamps", "webhook_url")
LOCAL_SERVICE = "The local backend"  # what messages call it (never "MusicGPT")
LOCAL_NOTE = ("Local backend: a prompt that names instruments or a style is played by the local "
              "session player over the song's harmony; any other prompt fills the region from "
              "the song's own material. New lyrics cannot be sung.")


class BackendUnavailable(Exception):
    """The chosen backend cannot be used (no key for MusicGPT, local server failed to start)."""

    @property
    def user_message(self) -> str:
        return str(self)


@dataclass
class BackendSettings:
    """The user's choice. `kind` "" means "not chosen": local while no key is set."""

    kind: str = ""
    base_url: str = DEFAULT_BASE_URL
    # Until the musician says which plan the account has: Free, the slowest status checks
    # (never over an account's rate) and the highest price (an estimate that never undershoots).
    plan: str = DEFAULT_PLAN


class Backends:
    """Resolves a backend name to a working client. Thread-safe; `stop()` on quit."""

    def __init__(self, settings: BackendSettings, keys: KeyStore, *,
                 server_dir: Path | None = None, server_engine: Any = None,
                 server_config: Any = None, client_options: dict[str, Any] | None = None,
                 server_engine_pool: Any = None) -> None:
        """`server_engine_pool`: engine processes the caller owns, for the local server to
        share (tests: one pool per test process, not two spawned processes per window)."""
        self.settings = settings
        self.keys = keys
        self._server_dir = server_dir
        self._engine = server_engine
        self._config = server_config
        self._engine_pool = server_engine_pool
        self._client_options = dict(client_options or {})  # e.g. faster polling in tests
        self._server: Any = None
        self._server_key = secrets.token_urlsafe(24)
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str, str], MusicGPTClient] = {}

    def __repr__(self) -> str:
        return f"Backends(kind={self.active_kind()!r}, local_running={self._server is not None})"

    # -- which one ----------------------------------------------------------------------------
    def active_kind(self) -> str:
        """The backend new jobs go to: the chosen one, else MusicGPT when a key exists."""
        if self.settings.kind in (LOCAL, MUSICGPT):
            return self.settings.kind
        return MUSICGPT if self.keys.has_key() else LOCAL

    def active_kind_if_known(self) -> str | None:
        """`active_kind()` when it needs no keyring to answer (a backend was chosen, or the key
        store already knows whether a key exists), else None."""
        if self.settings.kind in (LOCAL, MUSICGPT):
            return self.settings.kind
        known = self.keys.has_key_known()
        return None if known is None else (MUSICGPT if known else LOCAL)

    @staticmethod
    def limits(region: RegionLimits | None = None) -> Limits:
        """What requests are checked against: the documented limits (errors) and the inferred
        ones (warnings), with the region's taken from the musician's region warnings (Settings)
        so that the form and the waveform warn about the same lengths."""
        region = region or RegionLimits()
        return Limits(region_min_s=region.warn_shorter_than,
                      region_max_s=region.warn_longer_than,
                      region_max_fraction=region.warn_fraction_of_song)

    def preflight_limits(self, kind: str | None = None) -> Any:
        """What `kind` (default: the active backend) accepts, for `backends.preflight`: for the
        local backend, the limits of the config its server runs with (the running server's own,
        else the one it will be started with); starts nothing."""
        from inpaint_studio.backends.preflight import limits_for

        kind = kind or self.active_kind()
        if kind != LOCAL:
            return limits_for(kind)
        server = self._server
        return limits_for(LOCAL, server.config if server is not None else self._config)

    # -- clients -------------------------------------------------------------------------------
    def client(self, kind: str | None = None, base_url: str | None = None) -> MusicGPTClient:
        """A client for `kind` (default: the active one). Starts the local server if needed:
        call it from a worker, never from the GUI thread."""
        kind = kind or self.active_kind()
        if kind == LOCAL:
            server = self.local_server()
            return self._shared_client(server.base_url, self._server_key, "pro",
                                       LOCAL_SERVICE)
        key = self.keys.get()
        if not key:
            raise BackendUnavailable(
                "No MusicGPT API key is set. Enter it in Settings (or set MUSICGPT_API_KEY), "
                "or switch to the local backend.")
        return self._shared_client(base_url or self.settings.base_url, key, self.settings.plan)

    def _shared_client(self, base_url: str, key: str, plan: str,
                       name: str = "MusicGPT") -> MusicGPTClient:
        """One client per account, address and plan, shared by every job: its pacing keeps the
        status checks of all running jobs together within the plan's rate limit (one client per
        job would let three jobs poll three times as often)."""
        ident = (base_url.rstrip("/"), hashlib.sha256(key.encode()).hexdigest(), plan)
        with self._lock:
            client = self._clients.get(ident)
            if client is None:
                from inpaint_studio.api.client import MusicGPTClient

                client = MusicGPTClient(base_url, key, plan=plan, name=name,
                                        **self._client_options)
                self._clients[ident] = client
            return client

    def base_url(self, kind: str | None = None) -> str:
        kind = kind or self.active_kind()
        if kind == LOCAL:
            return self._server.base_url if self._server is not None else "local"
        return self.settings.base_url

    @property
    def local_running(self) -> bool:
        return self._server is not None

    def local_server(self) -> Any:
        """The in-process local server, started on first use (blocks until it is ready)."""
        with self._lock:
            if self._server is None:
                from inpaint_studio.server.runner import LocalServer

                folder = self._server_dir
                if folder is None:
                    from inpaint_studio import paths

                    folder = paths.data_dir() / "server"
                kwargs: dict[str, Any] = {}
                if self._engine is not None:
                    kwargs["engine"] = self._engine
                if self._config is not None:
                    kwargs["config"] = self._config
                if self._engine_pool is not None:
                    kwargs["engine_pool"] = self._engine_pool
                # The folder's own key: its tasks are tied to the key that made them, so the
                # server of the next run (resuming this run's jobs) must hold the same one.
                self._server_key = folder_key(Path(folder))
                server = LocalServer(folder, self._server_key, **kwargs)
                try:
                    server.start()
                except Exception as exc:
                    raise BackendUnavailable(
                        f"The local server could not start: {exc}") from exc
                self._server = server
            return self._server

    def test_connection(self, kind: str | None = None) -> str:
        """Check the key with `GET /v1/` (run in a worker). Returns a sentence for the user;
        raises the client's error (with `.user_message`) when the check fails."""
        kind = kind or self.active_kind()
        self.client(kind).check_key()
        if kind == LOCAL:
            return "The local backend is running and accepts requests."
        return f"Connected to {self.settings.base_url}: the API key was accepted."

    def test_musicgpt(self, settings: BackendSettings, key: str | None) -> str:
        """Check settings and a key not saved yet (the settings dialog's Test) with `GET /v1/`,
        on a client of their own that is closed afterwards. Raises like `test_connection`."""
        if not key:
            raise BackendUnavailable("Enter an API key to test MusicGPT.")
        from inpaint_studio.api.client import MusicGPTClient

        client = MusicGPTClient(settings.base_url, key, plan=settings.plan,
                                **self._client_options)
        try:
            client.check_key()
        finally:
            client.close()
        return f"Connected to {settings.base_url}: the API key was accepted."

    def stop(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            if self._server is not None:
                self._server.stop()
                self._server = None


# -- what the form needs ----------------------------------------------------------------------
def make_request(fields: dict[str, Any], *, audio_path: str | None, audio_url: str | None,
                 start: float, end: float) -> InpaintRequest:
    """An InpaintRequest from the form's fields (empty text becomes "not given")."""
    clean = {k: fields.get(k) for k in REQUEST_FIELDS if k in fields}
    for k in ("lyrics", "lyrics_section_to_replace", "gender", "title", "webhook_url"):
        if k in clean and not (clean[k] or "").strip():
            clean[k] = None
    return InpaintRequest(audio_path=audio_path, audio_url=audio_url, replace_start_at=start,
                          replace_end_at=end, **clean)


def folder_key(folder: Path) -> str:
    """The local server's key for the data `folder`: made once, kept beside its tasks in a
    0600 file (`server.key`), the same for every run (and process) that uses the folder."""
    import os

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "server.key"
    for _ in range(50):
        try:
            key = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            key = ""
        except OSError:
            key = ""
        if len(key) >= 16:
            return key
        if not path.exists():
            tmp = folder / f".server.key.{os.getpid()}.part"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, secrets.token_urlsafe(24).encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)  # atomic, and never over another process's key
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
            continue
        threading.Event().wait(0.02)  # another process is writing it
    raise BackendUnavailable(f"The local server's key in {path} cannot be read.")


def validate(fields: dict[str, Any], *, audio_path: str | None, audio_url: str | None,
             start: float, end: float, song_duration: float | None,
             limits: Limits | None = None) -> list[Issue]:
    """Every problem with what the form holds, errors first (see `InpaintRequest.validate`)."""
    req = make_request(fields, audio_path=audio_path, audio_url=audio_url, start=start, end=end)
    return req.validate(limits or Limits(), song_duration=song_duration)


def prompt_limit() -> int:
    return Limits().prompt_max or 1000


def lyrics_section_limit() -> int:
    return Limits().lyrics_section_max


def cost_estimate(kind: str, plan: str, num_outputs: int) -> str:
    """The cost before sending, in words (API notes §5: a price per output, per plan)."""
    if kind == LOCAL:
        return "Free: the local backend runs on this computer."
    p = plan_named(plan)
    total = p.credit_estimate(num_outputs)
    return (f"About ${total:.2f} ({num_outputs} × ${p.usd_per_output:.2f}, {p.name} plan); "
            "billed in 60-second increments, so long songs may cost more. The server's own "
            "estimate is shown once it accepts the job.")
