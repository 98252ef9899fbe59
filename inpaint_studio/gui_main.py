"""The GUI entry: `inpaint-studio [FILE] [--screenshot OUT.png] [--region START END]`.

`--screenshot` renders the window offscreen at 1600×900 with FILE fully loaded and the region
set, writes OUT.png atomically and exits (0 on success, non-zero with a message on failure)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from inpaint_studio.identity import EXECUTABLE, VERSION

SCREENSHOT_SIZE = (1600, 900)


def build_parser() -> argparse.ArgumentParser:
    from inpaint_studio.cli import COMMANDS

    parser = argparse.ArgumentParser(
        prog=EXECUTABLE,
        description="Inpaint Studio: replace one section of a song and keep the best take.",
        epilog=f"Headless commands ({EXECUTABLE} COMMAND --help): {', '.join(sorted(COMMANDS))}.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="a song to open")
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


def run_gui(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    region = None
    if args.region:
        from inpaint_studio.core.timefmt import parse_time

        try:
            region = (parse_time(args.region[0]), parse_time(args.region[1]))
        except ValueError as exc:
            print(f"{EXECUTABLE}: --region: {exc}", file=sys.stderr)
            return 2
    if args.screenshot:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot never needs a display

    from PySide6.QtWidgets import QApplication

    from inpaint_studio import app as composition
    from inpaint_studio.gui import theme
    from inpaint_studio.gui.about import apply_identity
    from inpaint_studio.gui.errors import CrashReporter
    from inpaint_studio.gui.main_window import MainWindow
    from inpaint_studio.services.settings import Settings
    from inpaint_studio.services.worker import WorkerPool

    log_file = composition.setup_logging(args.verbose)
    qapp = QApplication.instance() or QApplication([sys.argv[0]])
    apply_identity(qapp)
    theme.apply(qapp)
    crash = CrashReporter(str(log_file))
    composition.install_exception_hooks(crash.handle)
    workers = WorkerPool()
    window = MainWindow(Settings(), workers, interactive=not args.screenshot)
    crash.parent_widget = window
    crash.interactive = not args.screenshot
    features = composition.install_features(window, screenshot=bool(args.screenshot))
    window._features = features  # keep the installed features alive as long as the window
    if not args.screenshot:
        window.restore_state()  # after the features: their docks must exist to be restored
    # What start-up made (Qt wrappers, features, settings) lives as long as the app: keep it out
    # of the cyclic garbage collector, whose full passes over it would stall the GUI mid-job.
    gc.freeze()
    if args.screenshot:
        from inpaint_studio.gui.screenshot import take_screenshot

        try:
            code = take_screenshot(window, args.file, region, Path(args.screenshot),
                                   SCREENSHOT_SIZE, hear=args.hear, loop=args.loop)
        finally:
            window.close()
        if crash.count:
            print(f"{EXECUTABLE} --screenshot: {crash.count} unexpected error(s), see {log_file}",
                  file=sys.stderr)  # fmt: skip
            return code or 1
        return code
    window.show()
    if args.file:
        window.open_file(args.file)
    return int(qapp.exec())
