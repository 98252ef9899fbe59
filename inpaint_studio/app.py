"""Composition root: `inpaint-studio [FILE] [--screenshot OUT.png] [--region S E]` starts the editor;
`inpaint-studio COMMAND ...` runs a headless command (see `inpaint_studio.cli`)."""

from __future__ import annotations

import sys

from inpaint_studio import cli


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in cli.COMMANDS:
        return cli.main(argv)
    from inpaint_studio.gui_main import run_gui

    return run_gui(argv)
