"""The fault campaign (issue 13): kill, misbehave and attack on loopback, then count.

    python benchmarks/faults.py [--n 20] [--seed 13] [--only kill,faults,echo,attacks]
    python benchmarks/run.py faults          # the same, N from $FAULTS_N (default 20)

Every try runs the real `inpaint-studio` CLI in processes of its own, with an isolated
INPAINT_STUDIO_HOME, against loopback servers only:

- **kill**: SIGKILL at a random point (seeded) of `submit --backend local --wait --out`,
  of `resume` (of a job killed earlier), of `splice` (WAV) and of `splice` to MP3 (the export
  path), N each; then one plain `resume` (for splices: the same command again). Counted: the
  jobs that completed, lost jobs (no DONE job, or versions not in --out), duplicate submits (more
  than one server task for one job: the server's `tasks/*.json`), partial files left at the
  target (`*.part`, temporaries) and key leaks.
- **faults**: `submit --backend musicgpt --wait --out` against `inpaint-studio serve` in each
  `--fault-*` mode (a counting wrapper records every request: POSTs per job, full downloads per
  file), then one plain `resume` against a well-behaved server on the same data folder.
- **echo**: a fake server that puts the key in every error shape it can (JSON fields, text,
  HTML, headers, a FAILED task's message) — the key must appear nowhere.
- **attacks**: redirects of result files and of the local server's webhooks to another loopback
  address (a listener counts connections there), a 600 MB chunked upload and a 230 MB JSON body
  (bytes the server read before its 413), and `Host:` headers that are not the server's.

Key leaks are looked for in every try's stdout and stderr, its jobs database, its logs and its
output folder. The figures are printed as one JSON line each and a table at the end."""

from __future__ import annotations

import argparse
import http.server
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KEY = "sk-faults-SECRET-5d1c0e9f7a"


# -- running the CLI -----------------------------------------------------------------------------
def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MUSICGPT_API_KEY", "MUSICGPT_BASE_URL", "http_proxy", "https_proxy",
                        "HTTP_PROXY", "HTTPS_PROXY")}
    env.update(INPAINT_STUDIO_HOME=str(home), PYTHONPATH=str(ROOT),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", QT_QPA_PLATFORM="offscreen")
    env.update(extra)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "inpaint_studio", *args]


class Run:
    """One CLI process: its exit code and output (None when it was killed)."""

    def __init__(self, argv: list[str], env: dict[str, str], kill_after: float | None = None,
                 timeout: float = 300.0) -> None:
        self.argv = argv
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        self.killed = False
        try:
            out, err = proc.communicate(timeout=kill_after if kill_after is not None
                                        else timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its engine processes
            self.killed = kill_after is not None
            out, err = proc.communicate()
        self.code = proc.returncode
        self.seconds = time.monotonic() - t0
        self.out = out.decode(errors="replace")
        self.err = err.decode(errors="replace")


def _jobs(home: Path, env: dict[str, str]) -> list[dict]:
    """`inpaint-studio jobs --json`: one JSON object a line."""
    res = subprocess.run(_cli("jobs", "--json"), env=env, capture_output=True, text=True)
    jobs = []
    for line in res.stdout.splitlines():
        try:
            jobs.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return jobs


def _partials(*folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        if folder.exists():
            found += [p for p in folder.rglob("*")
                      if p.is_file() and (p.name.endswith((".part", ".tmp"))
                                          or ".part." in p.name or p.name.startswith(".tmp"))]
    return found


def _leaks(key: str, home: Path, runs: list[Run], *folders: Path) -> int:
    """Places the key was found: outputs of the runs, and every file under home and folders
    (the jobs database, logs, results, the output folder) — but not the file that keeps the
    local server's own key (that is where it belongs)."""
    n = sum(key in r.out or key in r.err for r in runs)
    needle = key.encode()
    for folder in (home, *folders):
        if not folder.exists():
            continue
        for p in folder.rglob("*"):
            if p.is_file() and p.name != "server.key":
                try:
                    n += needle in p.read_bytes()
                except OSError:
                    pass
    return n


def _server_tasks(data: Path) -> list[dict]:
    tasks = []
    for p in (data / "tasks").glob("*.json") if (data / "tasks").exists() else []:
        try:
            tasks.append(json.loads(p.read_text()))
        except (OSError, json.JSONDecodeError):
            pass
    return tasks


class Figures:
    def __init__(self, name: str) -> None:
        self.name = name
        self.c: Counter[str] = Counter()
        self.notes: list[str] = []

    def add(self, **kw: int) -> None:
        self.c.update(kw)

    def row(self) -> dict:
        return {"group": self.name, **{k: self.c[k] for k in (
            "tries", "killed", "completed_after_resume", "lost", "duplicate_submits",
            "duplicate_downloads", "partial_files", "key_leaks", "offsite_connects")},
                **{k: v for k, v in self.c.items() if k.startswith("x_")}}


# -- kill tries ----------------------------------------------------------------------------------
def _song(folder: Path, seconds: float = 20.0) -> Path:
    from inpaint_studio.core.encode import encode_audio
    from inpaint_studio.core.synth import synth_song

    path = folder / "song.wav"
    if not path.exists():
        encode_audio(synth_song(seconds, bpm=120.0, seed=3), path)
    return path


def _submit_args(song: Path, out: Path) -> list[str]:
    return _cli("submit", str(song), "--start", "6", "--end", "11", "--prompt", "warm piano",
                "--backend", "local", "--local-engine", "quick", "--wait", "--out", str(out))


def _check_local_job(fig: Figures, home: Path, env: dict[str, str], out: Path,
                     runs: list[Run]) -> None:
    jobs = _jobs(home, env)
    done = [j for j in jobs if j.get("stage") == "done"]
    delivered = len(list(out.glob("*.wav"))) + len(list(out.glob("*.mp3")))
    server = home / "data" / "server"
    tasks = _server_tasks(server)
    per_job = Counter(t.get("client_job_id") for t in tasks)
    dup = sum(n - 1 for n in per_job.values() if n > 1)  # a second task for one job
    gets = Counter(json.loads(line)["path"] for line in _lines(server / "downloads.log"))
    ok = bool(done) and delivered >= 2
    # Killed before the job was saved (while starting, reading the song): nothing was promised
    # and nothing is there to resume — not lost, unless the run had said "saved".
    unsaved = not jobs and not any(" saved; " in r.err for r in runs)
    fig.add(completed_after_resume=int(ok), lost=int(not ok and not unsaved),
            x_killed_before_saved=int(unsaved), duplicate_submits=dup,
            x_posts=len(_lines(server / "submits.log")),
            x_repeat_file_gets=sum(n - 1 for n in gets.values() if n > 1),
            partial_files=len(_partials(out, home)),
            key_leaks=_leaks(_server_key(home), home, runs, out))
    if not ok and not unsaved:
        fig.notes.append(f"not completed: stages {[j.get('stage') for j in jobs]}, "
                         f"{delivered} files; last err: {runs[-1].err.strip()[-300:]!r}")


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line] if path.exists() else []


def _server_key(home: Path) -> str:
    for p in home.rglob("server.key"):
        return p.read_text().strip()
    return "\x00never"


def kill_submit(rng: random.Random, n: int, work: Path, song: Path) -> Figures:
    fig = Figures("kill submit (local) + resume")
    saved, base = _baseline(work / "base-submit", song)
    for i in range(n):
        home, out = work / f"ks{i}", work / f"ks{i}-out"
        env = _env(home)
        killed = Run(_submit_args(song, out), env, kill_after=rng.uniform(saved, base))
        resumed = Run(_cli("resume", "--local-engine", "quick"), env)
        fig.add(tries=1, killed=int(killed.killed))
        _check_local_job(fig, home, env, out, [killed, resumed])
    return fig


def kill_resume(rng: random.Random, n: int, work: Path, song: Path) -> Figures:
    fig = Figures("kill resume (local) + resume")
    saved, base = _baseline(work / "base-submit", song)
    for i in range(n):
        home, out = work / f"kr{i}", work / f"kr{i}-out"
        env = _env(home)
        first = Run(_submit_args(song, out), env, kill_after=rng.uniform(saved, base))
        second = Run(_cli("resume", "--local-engine", "quick"), env,
                     kill_after=rng.uniform(0.3, base - saved + 1.0))
        resumed = Run(_cli("resume", "--local-engine", "quick"), env)
        fig.add(tries=1, killed=int(second.killed))
        _check_local_job(fig, home, env, out, [first, second, resumed])
    return fig


_BASE: dict[str, float] = {}


def _baseline(home: Path, song: Path) -> tuple[float, float]:
    """(seconds until a whole `submit --wait --out` has saved its job, seconds it takes to its
    end) here: kills fall between the two, where a job exists to be resumed (a kill before
    the job is saved leaves nothing to resume, and says nothing about resuming)."""
    if "submit" not in _BASE:
        saved_at: list[float] = []
        t0 = time.monotonic()
        proc = subprocess.Popen(_submit_args(song, home / "out"), env=_env(home),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen = b""
        while True:
            data = proc.stderr.read1(4096)  # type: ignore[union-attr]
            if not data:
                break
            seen += data
            if not saved_at and b" saved; " in seen:
                saved_at.append(time.monotonic() - t0)
        if proc.wait() != 0 or not saved_at:
            raise SystemExit(f"the baseline submit failed: {seen[-2000:]!r}")
        _BASE["saved"], _BASE["submit"] = saved_at[0], time.monotonic() - t0
    return _BASE["saved"], _BASE["submit"]


def kill_splice(rng: random.Random, n: int, work: Path, song: Path, suffix: str) -> Figures:
    what = "export (splice to MP3)" if suffix == ".mp3" else "splice (WAV)"
    fig = Figures(f"kill {what} + run again")
    version = work / "version.wav"
    if not version.exists():
        from inpaint_studio.core.encode import encode_audio
        from inpaint_studio.core.synth import synth_song

        encode_audio(synth_song(20.0, bpm=120.0, seed=9), version)
    key = "splice"
    for i in range(n):
        home = work / f"sp{suffix[1:]}{i}"
        target_dir = work / f"sp{suffix[1:]}{i}-out"
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / f"kept{suffix}"
        argv = _cli("splice", str(song), str(version), "--start", "6", "--end", "11",
                    "--no-align", "--out", str(target), "--force", "-q")
        env = _env(home)
        if key + suffix not in _BASE:
            t = Run(argv, _env(work / "base-splice"))
            _BASE[key + suffix] = t.seconds
            target.unlink(missing_ok=True)
        killed = Run(argv, env, kill_after=rng.uniform(0.2, _BASE[key + suffix]))
        left_after_kill = _partials(target_dir)
        again = Run(argv, env)
        ok = again.code == 0 and target.is_file() and target.stat().st_size > 0
        fig.add(tries=1, killed=int(killed.killed), completed_after_resume=int(ok),
                lost=int(not ok), partial_files=len(_partials(target_dir)),
                x_partials_right_after_kill=len(left_after_kill))
        if not ok:
            fig.notes.append(f"splice again failed: {again.err.strip()[-300:]!r}")
    return fig


# -- the local server in fault modes -------------------------------------------------------------
COUNTING_SERVE = r"""
import json, sys
from inpaint_studio.server import runner
log = open(sys.argv[1], "a", buffering=1)
original = runner.create_app
class Counting:
    def __init__(self, app): self.app = app
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = {}
        async def send2(msg):
            if msg["type"] == "http.response.start":
                status["s"] = msg["status"]
            await send(msg)
        try:
            await self.app(scope, receive, send2)
        finally:
            rng = dict(scope.get("headers") or []).get(b"range", b"").decode()
            log.write(json.dumps([scope["method"], scope["path"], status.get("s"), rng]) + "\n")
runner.create_app = lambda state: Counting(original(state))
from inpaint_studio import cli
sys.exit(cli.main(sys.argv[2:]))
"""


class Serve:
    """`inpaint-studio serve` (with a counting wrapper) in a process of its own."""

    def __init__(self, home: Path, data: Path, *faults: str, port: int = 0) -> None:
        self.requests = home / "requests.log"
        home.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-c", COUNTING_SERVE, str(self.requests), "serve",
                "--port", str(port), "--key", KEY, "--engine", "quick", "--data", str(data),
                *faults]
        self.proc = subprocess.Popen(argv, env=_env(home), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.url = ""
        self.output: list[str] = []
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.output.append(line)
            if line.startswith("Local MusicGPT server:"):
                self.url = line.split(":", 1)[1].strip()
            if line.startswith("Press Ctrl+C"):
                break
        if not self.url:
            raise SystemExit("serve did not start: " + "".join(self.output)[-2000:])
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.output.append(line)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def log(self) -> list[list]:
        if not self.requests.exists():
            return []
        return [json.loads(line) for line in self.requests.read_text().splitlines() if line]


GETS = ["--fault-paths", "/byId,/files/"]  # status polls and downloads: must be ridden out
FAULT_MODES = [  # (name, flags, must complete after one plain resume)
    ("latency 1 s", ["--fault-latency", "1"], True),
    ("429 x3 on GETs", ["--fault-429", "3", *GETS], True),
    ("5xx x3 on GETs", ["--fault-5xx", "3", *GETS], True),
    ("5xx x8 on GETs", ["--fault-5xx", "8", *GETS], True),  # past the policy: resume
    ("5xx x3 on files", ["--fault-5xx", "3", "--fault-paths", "/files/"], True),
    ("drop x3 on GETs", ["--fault-drop", "3", *GETS], True),
    ("drop x2 on files", ["--fault-drop", "2", "--fault-paths", "/files/"], True),
    ("malformed x3 on GETs", ["--fault-malformed", "3", *GETS], True),
    # on the paid submit itself: refused (429, 5xx) or unknown (dropped, garbled) — never
    # sent again on its own, so not completed; what counts is 0 duplicate submits
    ("429 on submit", ["--fault-429", "1"], False),
    ("5xx on submit", ["--fault-5xx", "1"], False),
    ("drop on submit", ["--fault-drop", "1"], False),
    ("malformed on submit", ["--fault-malformed", "1"], False),
    ("truncate results", ["--fault-truncate"], False),
    ("never finish", ["--fault-never-finish"], False),
    ("fail jobs", ["--fault-fail", f"Your key {KEY} has no credit"], False),
]


def serve_faults(work: Path, song: Path) -> Figures:
    fig = Figures("serve --fault-* modes (musicgpt backend) + resume")
    for i, (name, flags, must_complete) in enumerate(FAULT_MODES):
        home, out, data = work / f"sf{i}", work / f"sf{i}-out", work / f"sf{i}-data"
        srv = Serve(home / "srv", data, *flags)
        env = _env(home / "client", MUSICGPT_API_KEY=KEY, MUSICGPT_BASE_URL=srv.url)
        argv = _cli("submit", str(song), "--start", "6", "--end", "11", "--prompt", "warm",
                    "--backend", "musicgpt")
        # a server that never finishes is left after it accepted the job (no --wait)
        runs = [Run(argv + ([] if name == "never finish" else ["--wait", "--out", str(out)]),
                    env, timeout=240)]
        srv.stop()
        first_log = srv.log()
        # the same tasks, well behaved, at the same address (a MusicGPT job keeps its own)
        good = Serve(home / "srv2", data, port=int(srv.url.split(":")[2].split("/")[0]))
        env["MUSICGPT_BASE_URL"] = good.url
        runs.append(Run(_cli("resume", "--out", str(out)), env, timeout=240))
        good.stop()
        requests = first_log + good.log()
        posts = sum(1 for m, p, _s, _r in requests if m == "POST" and p.endswith("/v1/inpaint"))
        full = Counter(p for m, p, s, r in requests if m == "GET" and "/files/" in p
                       and s == 200 and not r)
        jobs = _jobs(home / "client", env)
        done = [j for j in jobs if j.get("stage") == "done"]
        delivered = len(list(out.glob("*"))) if out.exists() else 0
        ok = bool(done) and delivered >= 2
        fig.add(tries=1, completed_after_resume=int(ok), x_must_complete=int(must_complete),
                lost=int((must_complete and not ok) or not jobs),
                duplicate_submits=max(0, posts - 1),
                duplicate_downloads=sum(n - 1 for n in full.values() if n > 1),
                partial_files=len(_partials(out, home / "client")),
                key_leaks=_leaks(KEY, home / "client", runs, out))
        fig.notes.append(f"{name}: posts={posts} stage={[j.get('stage') for j in jobs]} "
                         f"files={delivered}")
    return fig


# -- a server that echoes the key ----------------------------------------------------------------
def _echo_shapes() -> list[tuple[str, int, dict[str, str], bytes]]:
    k = KEY
    j = lambda o: json.dumps(o).encode()  # noqa: E731
    return [
        ("401 message", 401, {"Content-Type": "application/json"},
         j({"success": False, "message": f"Invalid key {k}"})),
        ("403 detail", 403, {"Content-Type": "application/json"}, j({"detail": f"key {k}"})),
        ("402 error", 402, {"Content-Type": "application/json"},
         j({"error": f"No credit on {k}"})),
        ("422 detail list", 422, {"Content-Type": "application/json"},
         j({"detail": [{"loc": ["body", "api_key"], "msg": f"bad {k}", "input": k}]})),
        ("429 messsage", 429, {"Content-Type": "application/json", "Retry-After": "0"},
         j({"success": False, "messsage": f"slow down {k}"})),
        ("500 text", 500, {"Content-Type": "text/plain"}, f"Traceback: key={k}".encode()),
        ("502 html", 502, {"Content-Type": "text/html"},
         f"<html><body>upstream {k}</body></html>".encode()),
        ("400 header", 400, {"Content-Type": "application/json", "X-Debug-Key": k},
         j({"message": "bad request"})),
        ("400 bearer", 400, {"Content-Type": "application/json"},
         j({"message": f"Authorization: Bearer {k}"})),
        ("200 then FAILED task", 200, {}, b""),
    ]


class _Echo(http.server.BaseHTTPRequestHandler):
    shape: tuple[str, int, dict[str, str], bytes]

    def log_message(self, *a: object) -> None:
        pass

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for h, v in headers.items():
            self.send_header(h, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            length -= len(self.rfile.read(min(length, 65536)))
        name, status, headers, body = self.shape
        if name.startswith("200"):
            self._send(200, {"Content-Type": "application/json"}, json.dumps(
                {"success": True, "task_id": "t-echo", "conversion_id_1": "c1",
                 "conversion_id_2": "c2", "eta": 1, "credit_estimate": 1}).encode())
        else:
            self._send(status, headers, body)

    def do_GET(self) -> None:  # noqa: N802
        name, status, headers, body = self.shape
        if name.startswith("200"):
            self._send(200, {"Content-Type": "application/json"}, json.dumps(
                {"success": True, "conversion": {
                    "task_id": "t-echo", "status": "FAILED",
                    "message": f"Your key {KEY} has no credit",
                    "status_msg": f"Authorization: Bearer {KEY}"}}).encode())
        else:
            self._send(status, headers, body)


def _serve_thread(handler: type, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    srv = http.server.ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def key_echo(work: Path, song: Path) -> Figures:
    fig = Figures("key-echoing server, every error shape")
    for i, shape in enumerate(_echo_shapes()):
        handler = type("Echo", (_Echo,), {"shape": shape})
        srv = _serve_thread(handler)
        home, out = work / f"ke{i}", work / f"ke{i}-out"
        env = _env(home, MUSICGPT_API_KEY=KEY,
                   MUSICGPT_BASE_URL=f"http://127.0.0.1:{srv.server_address[1]}")
        runs = [Run(_cli("submit", str(song), "--start", "6", "--end", "11", "--prompt", "warm",
                         "--backend", "musicgpt", "--wait", "--out", str(out)), env,
                    timeout=240)]
        runs.append(Run(_cli("jobs", "--json"), env))
        runs.append(Run(_cli("jobs"), env))
        srv.shutdown()
        leaks = _leaks(KEY, home, runs, out)
        fig.add(tries=1, key_leaks=leaks, partial_files=len(_partials(out)))
        if leaks:
            fig.notes.append(f"{shape[0]}: the key appeared in {leaks} place(s)")
    return fig


# -- attacks on the local server and redirects ---------------------------------------------------
class _Listener:
    """Counts connections made to 127.0.0.2 (where no request should ever go)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.2", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def attacks(work: Path, song: Path) -> Figures:
    import requests

    fig = Figures("redirect, oversize and Host attacks")
    trap = _Listener()
    where = f"http://127.0.0.2:{trap.port}/latest/meta-data/"

    # 1. result files that redirect off their host (the client must not follow)
    class Redirecting(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            while length > 0:
                length -= len(self.rfile.read(min(length, 65536)))
            body = json.dumps({"success": True, "task_id": "t1", "conversion_id_1": "c1",
                               "conversion_id_2": "c2", "eta": 1}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            host = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path.startswith("/files/"):
                self.send_response(302 if "1" in self.path else 307)
                self.send_header("Location", where)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps({"success": True, "conversion": {
                "task_id": "t1", "status": "COMPLETED",
                "conversion_path_1": f"{host}/files/v1.mp3",
                "conversion_path_2": f"{host}/files/v2.mp3",
                "conversion_duration_1": 20.0, "conversion_duration_2": 20.0}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = _serve_thread(Redirecting)
    home, out = work / "at-redirect", work / "at-redirect-out"
    env = _env(home, MUSICGPT_API_KEY=KEY,
               MUSICGPT_BASE_URL=f"http://127.0.0.1:{srv.server_address[1]}")
    run = Run(_cli("submit", str(song), "--start", "6", "--end", "11", "--prompt", "warm",
                   "--backend", "musicgpt", "--wait", "--out", str(out)), env, timeout=240)
    srv.shutdown()
    fig.add(tries=1, key_leaks=_leaks(KEY, home, [run], out),
            partial_files=len(_partials(out)))

    # 2. the local server's webhook and audio_url that redirect elsewhere; oversize; Host
    data = work / "at-serve"
    s = Serve(work / "at-serve-home", data)
    base = s.url
    hook_srv = _serve_thread(type("Hook", (http.server.BaseHTTPRequestHandler,), {
        "log_message": lambda self, *a: None,
        "do_POST": lambda self: (self.send_response(307), self.send_header("Location", where),
                                 self.send_header("Content-Length", "0"), self.end_headers()),
        "do_GET": lambda self: (self.send_response(302), self.send_header("Location", where),
                                self.send_header("Content-Length", "0"), self.end_headers()),
    }))
    hook = f"http://127.0.0.1:{hook_srv.server_address[1]}/hook"
    headers = {"Authorization": KEY}
    sess = requests.Session()
    sess.trust_env = False
    with open(song, "rb") as fh:
        r = sess.post(f"{base}/v1/inpaint", headers=headers,
                      data={"prompt": "warm", "replace_start_at": "6", "replace_end_at": "11",
                            "webhook_url": hook},
                      files={"audio_file": ("song.wav", fh, "audio/wav")}, timeout=60)
    fig.add(tries=1)
    fig.notes.append(f"webhook submit: {r.status_code}")
    r = sess.post(f"{base}/v1/inpaint", headers=headers,
                  data={"prompt": "warm", "replace_start_at": "6", "replace_end_at": "11",
                        "audio_url": f"{hook}/song.mp3"}, timeout=60)
    fig.add(tries=1)
    fig.notes.append(f"audio_url submit: {r.status_code}")
    time.sleep(8)  # the task runs (quick engine) and its webhook is sent (3 attempts)

    def oversize(name: str, head: bytes, chunks: int, content_type: str) -> None:
        sent = 0
        block = b"\1" * (1024 * 1024)

        def body():
            nonlocal sent
            sent += len(head)
            yield head
            for _ in range(chunks):
                sent += len(block)
                yield block
        status = "refused"
        try:
            resp = sess.post(f"{base}/v1/inpaint", headers={
                **headers, "Content-Type": content_type}, data=body(), timeout=120)
            status = str(resp.status_code)
        except requests.RequestException as exc:
            status = f"cut ({type(exc).__name__})"
        used = sum(p.stat().st_size for p in data.rglob("*") if p.is_file()) // (1024 * 1024)
        fig.add(tries=1, **{f"x_{name}_mb_sent": sent // (1024 * 1024),
                            f"x_{name}_mb_on_server_disk": used})
        fig.notes.append(f"{name}: {status} after {sent // (1024 * 1024)} MB sent "
                         "(client side: what the server read plus the socket buffers)")

    part = (b'--x\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nwarm\r\n--x\r\n'
            b'Content-Disposition: form-data; name="audio_file"; filename="a.wav"\r\n'
            b"Content-Type: audio/wav\r\n\r\n")
    oversize("chunked_600mb_upload", part, 600, "multipart/form-data; boundary=x")
    oversize("chunked_600mb_no_parts", b"", 600, "multipart/form-data; boundary=x")
    oversize("json_230mb", b'{"prompt": "', 230, "application/json")
    for host in ("evil.example.com", "127.0.0.1.nip.io", "localhost.evil.example"):
        r = sess.get(f"{base}/v1/byId", params={"task_id": "x"},
                     headers={**headers, "Host": host}, timeout=30)
        fig.add(tries=1, x_host_attacks_not_421=int(r.status_code != 421))
    s.stop()
    hook_srv.shutdown()
    fig.add(offsite_connects=trap.connections,
            key_leaks=_leaks(KEY, work / "at-serve-home", []) - _leaks(KEY, data, []))
    return fig


# -- the campaign --------------------------------------------------------------------------------
def campaign(n: int = 20, seed: int = 13, only: set[str] | None = None,
             work: Path | None = None) -> list[Figures]:
    rng = random.Random(seed)
    own = work is None
    work = work or Path(tempfile.mkdtemp(prefix="inpaint-faults-"))
    song = _song(work)
    groups = []
    try:
        def want(g: str) -> bool:
            return only is None or g in only
        if want("kill"):
            groups += [kill_submit(rng, n, work, song), kill_resume(rng, n, work, song),
                       kill_splice(rng, n, work, song, ".wav"),
                       kill_splice(rng, n, work, song, ".mp3")]
        if want("faults"):
            groups.append(serve_faults(work, song))
        if want("echo"):
            groups.append(key_echo(work, song))
        if want("attacks"):
            groups.append(attacks(work, song))
    finally:
        if own and not os.environ.get("FAULTS_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    return groups


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=20, help="kill tries per command (default 20)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--only", default="", help="kill,faults,echo,attacks (default: all)")
    args = p.parse_args(argv)
    t0 = time.monotonic()
    groups = campaign(args.n, args.seed, set(args.only.split(",")) if args.only else None)
    total: Counter[str] = Counter()
    for g in groups:
        row = g.row()
        print(json.dumps(row), flush=True)
        for note in g.notes:
            print(f"#   {note}", flush=True)
        total.update({k: v for k, v in row.items() if isinstance(v, int)})
    print(json.dumps({"group": "TOTAL", **total}), flush=True)
    print(f"# {time.monotonic() - t0:.0f} s, n={args.n}, seed={args.seed}", flush=True)
    bad = sum(total[k] for k in ("lost", "duplicate_submits", "partial_files", "key_leaks",
                                 "offsite_connects", "x_host_attacks_not_421"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
