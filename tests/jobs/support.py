"""Shared by the job tests (headless and GUI): a synthesised song, and a local server on
loopback whose every request is counted by method and path (submits and result downloads)."""

from __future__ import annotations

import atexit
import collections
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song
from inpaint_studio.server import runner as server_runner
from inpaint_studio.server.config import ServerConfig
from inpaint_studio.server.runner import LocalServer
from inpaint_studio.server.tasks import engine_process_pool

KEY = "sk-jobs-TEST-key-2b9e41"


def odd_songs(folder: Path, seconds: float = 12.0, keep: float = 0.5) -> dict[str, Path]:
    """Inputs a job must refuse or fix before uploading, made from one synthesised song:
    `mp3` and `wav` (the song), `truncated` (the MP3 cut to `keep` of its bytes) and `six` (a
    6-channel WAV). Shared by the CLI, GUI and scripting pre-upload tests."""
    import numpy as np

    from inpaint_studio.core.audio import Audio

    base = synth_song(seconds, bpm=120.0, seed=4)
    songs = {"mp3": folder / "song.mp3", "wav": folder / "song.wav",
             "truncated": folder / "truncated.mp3", "six": folder / "six.wav"}
    encode_audio(base, songs["mp3"])
    encode_audio(base, songs["wav"])
    data = songs["mp3"].read_bytes()
    songs["truncated"].write_bytes(data[: int(len(data) * keep)])
    encode_audio(Audio(np.concatenate([base.samples, base.samples * 0.5, base.samples * 0.25])
                       .astype(np.float32), base.sample_rate), songs["six"])
    return songs


_SONGS: dict[tuple[str, float, int], bytes] = {}  # encoded once per test process


def make_song(path: Path, seconds: float = 20.0, seed: int = 3) -> Path:
    """A synthesised song (drums, bass, keys…) so that alignment has real material to match."""
    if not path.exists():
        made = _SONGS.get((path.suffix, seconds, seed))
        if made is None:
            encode_audio(synth_song(seconds, bpm=120.0, seed=seed), path)
            _SONGS[(path.suffix, seconds, seed)] = path.read_bytes()
        else:
            path.write_bytes(made)
    return path


class RequestLog:
    """Counts (method, path) of every request the server got."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()

    def add(self, method: str, path: str) -> None:
        with self._lock:
            self.counts[(method, path)] += 1

    def submits(self) -> int:
        return sum(n for (m, p), n in self.counts.items()
                   if m == "POST" and p.endswith("/v1/inpaint"))

    def downloads(self) -> dict[str, int]:
        """GETs of result files, by path."""
        return {p: n for (m, p), n in self.counts.items() if m == "GET" and "/files/" in p}


class _Counting:
    def __init__(self, app: Any, log: RequestLog) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.log.add(scope["method"], scope.get("path", ""))
        await self.app(scope, receive, send)


_POOL: list[Any] = []  # this test process's engine pool, made on first use


def engine_pool() -> Any:
    """The engine processes every counting server of this test process shares: spawned once,
    not once per test (spawning and importing cost more than a quick job's fill). Each job
    still crosses the real process boundary. tests/server keeps a pool per server, and tests
    that stop it."""
    if _POOL and getattr(_POOL[0], "_broken", False):  # a test broke it: start another
        _POOL.pop().shutdown(wait=False, cancel_futures=True)
    if not _POOL:
        _POOL.append(engine_process_pool(2))
        atexit.register(_POOL[0].shutdown, wait=True, cancel_futures=True)
    return _POOL[0]


@contextlib.contextmanager
def counting_server(data_dir: Path, *, engine: Any = "quick", config: ServerConfig | None = None,
                    key: str = KEY) -> Iterator[tuple[LocalServer, RequestLog]]:
    """A started LocalServer (on the shared `engine_pool`) and the log of every request it
    answers."""
    log = RequestLog()
    original = server_runner.create_app
    server_runner.create_app = lambda state: _Counting(original(state), log)
    try:
        server = LocalServer(data_dir, key, engine=engine, config=config,
                             engine_pool=engine_pool())
        server.start()
    finally:
        server_runner.create_app = original
    try:
        yield server, log
    finally:
        server.stop()
