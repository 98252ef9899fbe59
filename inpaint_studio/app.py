"""Composition root: `inpaint-studio [FILE] [--screenshot OUT.png] [--region S E]` starts the
editor; `inpaint-studio COMMAND ...` runs a headless command (see `inpaint_studio.cli`).

This module builds the services and the window and wires them (gui_main.run_gui), sets up
logging to a rotating file, and installs the hooks that route uncaught exceptions from any thread
to the log and then to one dialog. It holds no business logic."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from inpaint_studio import cli, paths
from inpaint_studio.identity import EXECUTABLE

LOG_FILE = f"{EXECUTABLE}.log"
ExceptionHandler = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def setup_logging(verbose: bool = False) -> Path:
    """Log to a rotating file in `paths.log_dir()` (and warnings to stderr); returns its path."""
    log_file = paths.log_dir() / LOG_FILE
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_inpaint_studio", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    stderr_handler = logging.StreamHandler(sys.stderr)
    stderr_handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    stderr_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for handler in (file_handler, stderr_handler):
        handler._inpaint_studio = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    return log_file


def install_exception_hooks(handler: ExceptionHandler) -> None:
    """Send uncaught exceptions of the main thread, Qt slots and other threads to `handler`
    (Ctrl+C still interrupts)."""
    previous = sys.excepthook

    def main_hook(exc_type: type[BaseException], exc: BaseException,
                  tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        handler(exc_type, exc, tb)

    def thread_hook(args: Any) -> None:
        if args.exc_type is SystemExit:
            return
        handler(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = main_hook
    threading.excepthook = thread_hook


def install_features(window: Any, screenshot: bool = False) -> list[Any]:
    """Let each feature add its panels, menus, lanes and shortcuts (CONTRACTS §C) and return the
    installed objects (keep them alive with the window). A feature that fails to install is
    reported and left out; the editor still starts (Picard's player facade idea)."""
    installed: dict[str, Any] = {}

    def install(name: str, make: Callable[[], Any]) -> Any:
        try:
            installed[name] = make()
        except Exception as exc:  # noqa: BLE001 - one broken feature must not stop the editor
            logging.getLogger(__name__).exception("could not install %s", name)
            window.report_error(f"{name.capitalize()} is unavailable", str(exc))
        return installed.get(name)

    from inpaint_studio.gui.compare_panel import install_compare
    from inpaint_studio.gui.jobs_panel import install_jobs
    from inpaint_studio.gui.keep_panel import install_keep
    from inpaint_studio.gui.welcome_panel import install_welcome

    install("welcome", lambda: install_welcome(window, window.open_file, window.open_dialog))
    # A screenshot must not resume jobs or ask to restore an autosave: it only shows the window.
    jobs = install("jobs", lambda: install_jobs(window, resume=not screenshot))
    install("keep", lambda: install_keep(window, jobs, restore_prompt=not screenshot))
    # ... nor open the sound device (a screenshot plays nothing).
    install("compare", lambda: install_compare(window, audio_output=not screenshot))
    return list(installed.values())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in cli.COMMANDS:
        return cli.main(argv)
    from inpaint_studio.gui_main import run_gui

    return run_gui(argv)
