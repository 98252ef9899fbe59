"""`inpaint-studio serve`: run the local MusicGPT-compatible server in the foreground.

Without --key a random key is made and printed once; clients send it raw in `Authorization`."""

from __future__ import annotations

import argparse
import secrets
import signal
import sys
from pathlib import Path

from inpaint_studio.api.client import is_loopback
from inpaint_studio.api.plans import PLANS


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "serve", help="run the local MusicGPT-compatible inpaint server",
        description="Serve POST /api/public/v1/inpaint and GET /api/public/v1/byId on this "
                    "computer, filling regions with the local engine.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (0 = any free port; default 8765)")
    p.add_argument("--key", help="API key clients must send (default: a new random key)")
    p.add_argument("--data", type=Path, help="folder for tasks and results (default: the "
                   "app's data folder / server)")
    p.add_argument("--plan", choices=sorted(PLANS), default="pro",
                   help="limits to enforce: parallel jobs and status calls per minute")
    p.add_argument("--credits", type=float, help="start with this balance (USD); 402 when short")
    p.add_argument("--accept-bearer", action="store_true",
                   help='also accept "Authorization: Bearer <key>"')
    p.add_argument("--allow-remote", action="store_true",
                   help="fetch audio_url and call webhook_url on other hosts too (by default "
                        "only on this computer: a local server has no business calling out)")
    p.add_argument("--engine", default=None,
                   help='engine as "module:function" (default: the local engine; "quick" is '
                        "the fast test engine)")
    faults = p.add_argument_group(
        "fault mode", "make the server misbehave, to test a client's handling of each fault")
    faults.add_argument("--fault-latency", type=float, default=0.0, metavar="S",
                        help="wait S seconds before answering every request")
    faults.add_argument("--fault-429", type=int, default=0, metavar="N",
                        help="answer the next N API requests 429 (Retry-After: 1)")
    faults.add_argument("--fault-5xx", type=int, default=0, metavar="N",
                        help="answer the next N API requests 500")
    faults.add_argument("--fault-drop", type=int, default=0, metavar="N",
                        help="cut the connection half-way through the next N answers")
    faults.add_argument("--fault-malformed", type=int, default=0, metavar="N",
                        help="answer the next N API requests with broken JSON")
    faults.add_argument("--fault-paths", default="", metavar="A,B",
                        help="apply the faults above only to paths containing one of these "
                             '(e.g. "/v1/byId,/files/"; default: every API path)')
    faults.add_argument("--fault-truncate", action="store_true",
                        help="write result files cut short (they do not decode)")
    faults.add_argument("--fault-never-finish", action="store_true",
                        help="jobs stay IN_PROGRESS until the server stops")
    faults.add_argument("--fault-fail", metavar="REASON",
                        help="jobs end FAILED with this reason")
    p.set_defaults(func=run)
    return p


def _apply_faults(faults: object, args: argparse.Namespace) -> list[str]:
    """Set the server's fault mode from the --fault-* options; what was set, in words."""
    settings = {
        "latency_s": args.fault_latency, "rate_limit_next": args.fault_429,
        "server_error_next": args.fault_5xx, "drop_next": args.fault_drop,
        "malformed_next": args.fault_malformed, "truncate_results": args.fault_truncate,
        "never_finish": args.fault_never_finish, "fail_jobs": args.fault_fail,
        "paths": tuple(p for p in args.fault_paths.split(",") if p),
    }
    on = {k: v for k, v in settings.items() if v}
    for name, value in on.items():
        setattr(faults, name, value)
    return [f"{k}={v}" for k, v in on.items()]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from inpaint_studio import paths
    from inpaint_studio.server.config import ServerConfig
    from inpaint_studio.server.runner import LocalServer

    key = args.key or secrets.token_urlsafe(24)
    if not is_loopback(args.host):
        print(f"Warning: binding {args.host} exposes the server beyond this computer; anyone "
              "who can reach it and knows the key can run jobs.", file=sys.stderr)
    config = ServerConfig(plan=args.plan, credit_balance=args.credits,
                          accept_bearer=args.accept_bearer,
                          allow_remote_audio_url=args.allow_remote,
                          allow_remote_webhooks=args.allow_remote)
    data = args.data or paths.data_dir() / "server"
    server = LocalServer(data, key, port=args.port, engine=args.engine, config=config,
                         host=args.host)
    try:
        server.start()
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    faults = _apply_faults(server.faults, args)
    print(f"Local MusicGPT server: {server.base_url}")
    if faults:
        print(f"Fault mode: {', '.join(faults)}")
    if not args.key:
        print(f"API key: {key}")
    print(f"Data folder: {data}")
    print("Press Ctrl+C to stop.", flush=True)
    # `kill` (SIGTERM) stops as cleanly as Ctrl+C: jobs and engine processes are ended. Ctrl+C
    # is set too: a shell starts background commands with SIGINT ignored, and Python then never
    # installs its own handler, so the server could not be stopped the way it says.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
