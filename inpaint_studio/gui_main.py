"""The editor's command line: `inpaint-studio [FILE] [--screenshot OUT.png] [--region START END]`.
The editor itself is built and run by the composition root (`app.run_gui`).

`--screenshot` renders the window offscreen at 1600×900 with FILE fully loaded and the region
set, writes OUT.png atomically and exits (0 on success, non-zero with a message on failure)."""

from __future__ import annotations

import argparse

from inpaint_studio.identity import EXECUTABLE, VERSION

SCREENSHOT_SIZE = (1600, 900)


def build_parser() -> argparse.ArgumentParser:
    from inpaint_studio.cli import COMMANDS

    parser = argparse.ArgumentParser(
        prog=EXECUTABLE,
        description="Inpaint Studio: replace one section of a song and keep the best version.",
        epilog=f"Headless commands ({EXECUTABLE} COMMAND --help): {', '.join(sorted(COMMANDS))}.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="a song or a project (.inpaint) to open")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="render the window offscreen to OUT.png and exit")  # fmt: skip
    parser.add_argument("--region", nargs=2, metavar=("START", "END"),
                        help="select this region (m:ss.mmm or seconds)")  # fmt: skip
    parser.add_argument("--hear", type=int, choices=(1, 2, 3), metavar="N",
                        help="with --screenshot: show 1 Original / 2 Version 1 / 3 Version 2 "
                             "as the one heard")  # fmt: skip
    parser.add_argument("--loop", action="store_true",
                        help="with --screenshot: show the region's loop turned on")
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    return parser


def no_display_message(problem: str) -> str:
    """What the musician reads when the editor cannot open its window."""
    from inpaint_studio.cli import COMMANDS

    return (f"{EXECUTABLE}: the editor needs a graphical session, and {problem}.\n"
            "Start it from your desktop (or over SSH with X forwarding: ssh -X). Without a "
            f"display, the headless commands work: {', '.join(sorted(COMMANDS))} "
            f"({EXECUTABLE} COMMAND --help), and `{EXECUTABLE} SONG --screenshot OUT.png` draws "
            "the window to a file.")


def parse_region(values: list[str] | None) -> tuple[float, float] | None:
    """`--region START END` in seconds (ValueError with the reason when unreadable)."""
    if not values:
        return None
    from inpaint_studio.core.timefmt import parse_time

    return parse_time(values[0]), parse_time(values[1])
