"""Launch the editor the way the user does (`inpaint_studio.cli.main`, i.e. `python -m
inpaint_studio [ARGS]`) and record, at the moment its first window is painted, the seconds since
this process started and `sys.modules`; then, optionally, what was imported by the time the
editor's deferred start-up finished.

    python benchmarks/first_paint.py [--out FILE.json] [--after-idle S] [--until M1,M2,...]
                                     [--until-title TEXT] [--until-song] [-- APP ARGS...]

The record (JSON, to FILE or stdout) has `paint_s` (process start → first paint, from the
kernel's start time of this process), `drawn_at` (the paint's `time.time()`),
`modules_at_paint` (sorted), `children_at_paint` (the command lines of child processes) and,
with `--after-idle`, `modules_after` and `children_after`: taken S seconds after the paint, or
as soon as every module named by `--until` is imported, whichever comes first (the name
`<child>` waits for a child process, and `--until-title` for a window title containing TEXT, as
when a song given on the command line starts opening, and `--until-song` for the main window's
`song_opened`, recorded as `song_s`: process start → the song decoded and its complete waveform
drawn (the window grabbed)); then the editor is closed. The record
then also has `titles_after` (the top-level windows' titles). Without `--after-idle` the editor
quits right after the paint.

How it sees the paint without changing the app: it imports PySide6.QtWidgets first (the window
needs it anyway, so `sys.modules` at the paint is unchanged) and swaps in a `QApplication`
subclass that watches for the first Paint event of a window; the paint's time is taken once that
paint has been delivered (a zero timer queued from it). Offscreen by default
(QT_QPA_PLATFORM=offscreen)."""

from __future__ import annotations

import json
import os
import sys
import time


def _process_start() -> float:
    """This process's start in `time.time()` terms (Linux: /proc; elsewhere: now)."""
    try:
        with open(f"/proc/{os.getpid()}/stat", encoding="ascii") as fh:
            ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time()


def _children() -> list[str]:
    """The command names of this process's child processes (Linux; else empty)."""
    names = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as fh:
                for pid in fh.read().split():
                    with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                        names.append(cmd.read().replace(b"\0", b" ").decode(errors="replace"))
    except OSError:
        pass
    return names


def main(argv: list[str]) -> int:
    started = _process_start()
    out, after = None, None
    until: list[str] = []
    until_title = None
    until_song = False
    app_args: list[str] = []
    if "--" in argv:
        app_args = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    while argv:
        flag = argv.pop(0)
        if flag == "--out":
            out = argv.pop(0)
        elif flag == "--after-idle":
            after = float(argv.pop(0))
        elif flag == "--until":
            until = [m for m in argv.pop(0).split(",") if m]
        elif flag == "--until-title":
            until_title = argv.pop(0)
        elif flag == "--until-song":
            until_song = True
        else:
            print(f"unknown option {flag}", file=sys.stderr)
            return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6 import QtCore, QtWidgets

    record: dict = {}

    def write() -> None:
        text = json.dumps(record)
        if out:
            with open(out + ".tmp", "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(out + ".tmp", out)
        else:
            print(text, flush=True)

    def painted() -> None:
        record["drawn_at"] = time.time()
        record["paint_s"] = record["drawn_at"] - started
        record["modules_at_paint"] = sorted(sys.modules)
        record["children_at_paint"] = _children()
        if after is None:
            write()
            QtWidgets.QApplication.quit()
            return
        deadline = time.monotonic() + after

        def titled() -> bool:
            return until_title is None or any(
                until_title in w.windowTitle() for w in QtWidgets.QApplication.topLevelWidgets())

        def poll() -> None:
            if until_song and "song_s" not in record and time.monotonic() < deadline:
                QtCore.QTimer.singleShot(20, poll)
            elif time.monotonic() >= deadline or (
                    (until or until_title or until_song) and titled() and all(
                    bool(_children()) if m == "<child>" else m in sys.modules for m in until)):
                later()
            else:
                QtCore.QTimer.singleShot(100, poll)

        poll()

    def song_drawn(window: QtWidgets.QWidget) -> None:
        window.grab()  # the complete waveform's pixels, not only its data
        record["song_s"] = time.time() - started

    def later() -> None:
        record["modules_after"] = sorted(sys.modules)
        record["children_after"] = _children()
        record["titles_after"] = [w.windowTitle() for w in QtWidgets.QApplication.topLevelWidgets()
                                  if w.isWindow() and w.windowTitle()]
        write()
        for window in QtWidgets.QApplication.topLevelWidgets():
            window.close()
        QtWidgets.QApplication.quit()

    class Watch(QtCore.QObject):
        seen = False

        def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
            if (not self.seen and event.type() == QtCore.QEvent.Type.Paint
                    and isinstance(obj, QtWidgets.QMainWindow)):  # fmt: skip
                self.seen = True
                QtCore.QTimer.singleShot(0, painted)
                if until_song:
                    obj.song_opened.connect(lambda _path, w=obj: song_drawn(w))
            return False

    base = QtWidgets.QApplication

    class ProbedApplication(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object) -> None:
            super().__init__(*args)
            self._watch = Watch()
            self.installEventFilter(self._watch)

    QtWidgets.QApplication = ProbedApplication  # type: ignore[misc]

    from inpaint_studio.cli import main as app_main

    sys.argv = [sys.argv[0], *app_args]
    code = app_main(app_args)
    if "paint_s" not in record:
        print("the editor quit before its window was painted", file=sys.stderr)
        return code or 1
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
