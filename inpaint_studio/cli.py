"""The `inpaint-studio` entry: `inpaint-studio <command> ...` runs a headless command; anything
else starts the editor (`app.run_gui`, imported only then). No Qt is imported here.

Each command lives in `inpaint_studio/commands/<name>.py` and provides
`register(subparsers) -> argparse.ArgumentParser` whose parser sets `func(args) -> int`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from inpaint_studio.identity import EXECUTABLE, VERSION

# Command name → module under inpaint_studio.commands. Add one line per command.
COMMANDS: dict[str, str] = {
    "inpaint": "inpaint",
    "submit": "submit",
    "jobs": "jobs",
    "resume": "resume",
    "splice": "splice",
    "doctor": "doctor",
    "serve": "serve",
    "analyze": "analyze",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=EXECUTABLE, description="Inpaint Studio headless tools.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS.values():
        importlib.import_module(f"inpaint_studio.commands.{module}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The console script: a headless command, or the editor."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return run_command(argv)
    from inpaint_studio.app import run_gui

    return run_gui(argv)


def run_command(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
