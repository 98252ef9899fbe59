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
    p.add_argument("--engine", default=None,
                   help='engine as "module:function" (default: the local engine; "quick" is '
                        "the fast test engine)")
    p.set_defaults(func=run)
    return p


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
                          accept_bearer=args.accept_bearer)
    data = args.data or paths.data_dir() / "server"
    server = LocalServer(data, key, port=args.port, engine=args.engine, config=config,
                         host=args.host)
    try:
        server.start()
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Local MusicGPT server: {server.base_url}")
    if not args.key:
        print(f"API key: {key}")
    print(f"Data folder: {data}")
    print("Press Ctrl+C to stop.", flush=True)
    # `kill` (SIGTERM) stops as cleanly as Ctrl+C: jobs and engine processes are ended.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
