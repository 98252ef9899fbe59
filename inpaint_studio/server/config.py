"""Settings of the local server, and the fault switches tests flip while it runs.

Where the MusicGPT docs are silent the choice is a setting here, with the documented example (or
the API notes' suggestion) as its default."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from inpaint_studio.api.plans import Plan, plan_named
from inpaint_studio.engine.limits import MAX_REGION as ENGINE_MAX_REGION  # noqa: F401
from inpaint_studio.engine.limits import MAX_SONG as ENGINE_MAX_SONG  # noqa: F401
from inpaint_studio.engine.limits import MIN_REGION as ENGINE_MIN_REGION  # noqa: F401

# The prompt decides: the session player for a musical prompt, else the continuation fill.
DEFAULT_ENGINE = "inpaint_studio.player.route:fill_region"


@dataclass
class ServerConfig:
    plan: str = "pro"
    parallel_jobs: int | None = None  # overrides the plan's 1/3/10
    byid_per_minute: int | None = None  # overrides the plan's 20/200/500
    credit_balance: float | None = None  # None: no balance check; else 402 when short, debited
    extra_keys: tuple[str, ...] = ()  # more accepted keys besides the server's own
    accept_bearer: bool = False  # also accept "Authorization: Bearer <key>"
    auth_failure_status: int = 401  # the error page says 403 for bad keys; 401 is the example
    validation_style: str = "documented"  # or "fastapi" ({"detail": [...]}) for 422 bodies
    max_upload_bytes: int = 200 * 1024 * 1024  # → 413 (the song in a multipart upload)
    max_json_bytes: int = 1024 * 1024  # → 413 (every other body: JSON, urlencoded, …)
    max_song_seconds: float = 20 * 60.0
    region_min_s: float = 0.5  # undocumented; peers use 6 s, the local engine copes with less
    region_max_s: float | None = None
    allow_remote_audio_url: bool = False  # audio_url is fetched only from loopback by default
    webhook_subtype: str = "remix"  # what the inpaint docs' sample says
    webhook_timeout_s: float = 10.0
    webhook_attempts: int = 3
    allow_remote_webhooks: bool = False  # webhook_url is called only on loopback by default
    version_delay_s: float = 0.0  # pause between publishing version 1 and version 2
    eta_base_s: float = 5.0
    eta_per_song_s: float = 0.25
    workers: int | None = None  # engine processes; default min(parallel jobs, CPUs)

    def plan_obj(self) -> Plan:
        return plan_named(self.plan)

    @property
    def parallel_limit(self) -> int:
        return self.parallel_jobs or self.plan_obj().parallel_jobs

    @property
    def byid_limit(self) -> int:
        return self.byid_per_minute or self.plan_obj().byid_per_minute


@dataclass
class Faults:
    """Faults to inject, for tests. Counters are used up one request at a time; `paths` limits a
    fault to requests whose path contains one of the strings (empty: any API path)."""

    latency_s: float = 0.0  # added before every request (whatever `paths` says)
    rate_limit_next: int = 0  # answer 429 (Retry-After: rate_limit_retry_after)
    rate_limit_retry_after: float = 1.0
    server_error_next: int = 0  # answer 500 with the spec's {"success":false,"messsage":...}
    server_error_status: int = 500
    drop_next: int = 0  # run the request, then cut the connection half-way through the answer
    malformed_next: int = 0  # run the request, then answer broken JSON
    paths: tuple[str, ...] = ()
    truncate_results: bool = False  # write result files cut short (they no longer decode)
    never_finish: bool = False  # jobs stay IN_PROGRESS until the server stops
    fail_jobs: str | None = None  # jobs end FAILED with this reason
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, kind: str, path: str) -> bool:
        """Use up one `kind` fault for a request to `path` if one is armed for it."""
        if self.paths and not any(p in path for p in self.paths):
            return False
        with self._lock:
            left = getattr(self, kind)
            if left <= 0:
                return False
            setattr(self, kind, left - 1)
            return True

    def clear(self) -> None:
        with self._lock:
            self.latency_s = 0.0
            self.rate_limit_retry_after, self.server_error_status = 1.0, 500
            self.rate_limit_next = self.server_error_next = 0
            self.drop_next = self.malformed_next = 0
            self.paths = ()
            self.truncate_results = self.never_finish = False
            self.fail_jobs = None
