"""The editor's command line: `inpaint-studio [FILE] [--screenshot OUT.png] [--region START END]`.
The editor itself is built and run by the composition root (`app.run_gui`).

`--screenshot` renders the window offscreen with FILE fully loaded and the region set, writes
OUT.png atomically and exits (0 on success, non-zero with a message on failure). The window
fills a screen of `--size WxH` pixels (default 1600x900) at `--scale N` device pixels per point
(default 1; 2 for a HiDPI screen, so `--size 2560x1440 --scale 2` lays the window out in
1280×720 points and draws it into a 2560×1440 picture)."""

from __future__ import annotations

import argparse

from inpaint_studio.identity import EXECUTABLE, VERSION

SCREENSHOT_SIZE = (1600, 900)
MIN_SCREENSHOT_SIZE = (320, 240)  # in points: smaller is no screen anyone uses
MAX_SCALE = 4.0


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
    parser.add_argument("--size", type=parse_size, metavar="WxH",
                        default=SCREENSHOT_SIZE,
                        help="with --screenshot: the screen's size in pixels "
                             "(default 1600x900)")  # fmt: skip
    parser.add_argument("--scale", type=parse_scale, metavar="N", default=1.0,
                        help="with --screenshot: device pixels per point, as on a HiDPI "
                             "screen (default 1)")  # fmt: skip
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


def parse_size(text: str) -> tuple[int, int]:
    """`WxH` (e.g. 1366x768) → (W, H) in pixels; argparse.ArgumentTypeError when unreadable."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        width, height = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WxH, e.g. 1366x768") from None
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: both sides must be positive")
    return width, height


def parse_scale(text: str) -> float:
    """`--scale N`: a device pixel ratio from 1 to MAX_SCALE."""
    try:
        scale = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 1.0 <= scale <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"{text!r}: the scale goes from 1 to {MAX_SCALE:g}")
    return scale


def screen_points(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """The screen's size in points (what the window is laid out in) for `size` pixels at
    `scale`; ValueError when that is too small to lay a window out in."""
    points = (round(size[0] / scale), round(size[1] / scale))
    if points[0] < MIN_SCREENSHOT_SIZE[0] or points[1] < MIN_SCREENSHOT_SIZE[1]:
        raise ValueError(f"{size[0]}x{size[1]} at scale {scale:g} is {points[0]}x{points[1]} "
                         f"points; at least {MIN_SCREENSHOT_SIZE[0]}x{MIN_SCREENSHOT_SIZE[1]} "
                         "are needed")
    return points
