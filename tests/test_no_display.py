"""Without a graphical session the editor says so in its own words and exits 2 (it never gets
as far as Qt's platform plugin); `doctor` reports the missing display."""

from __future__ import annotations

import os
import subprocess
import sys

from inpaint_studio.display import display_problem


def _env_without_display(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["INPAINT_STUDIO_HOME"] = str(tmp_path / "home")
    return env


def test_the_editor_without_a_display_explains_and_exits_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "inpaint_studio"], env=_env_without_display(
        tmp_path), capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "needs a graphical session" in out.stderr
    assert "DISPLAY" in out.stderr and "--screenshot" in out.stderr and "doctor" in out.stderr
    assert "Reinstalling" not in out.stderr  # not Qt's own text


def test_doctor_reports_the_missing_display(tmp_path):
    out = subprocess.run([sys.executable, "-m", "inpaint_studio", "doctor"],
                         env=_env_without_display(tmp_path), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr  # a warning: headless commands work
    line = next(x for x in out.stdout.splitlines() if "display" in x)
    assert "no graphical session" in line


def test_what_counts_as_a_display():
    assert display_problem({}, "linux") is not None
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}, "linux") is not None  # xcb needs one
    assert display_problem({}, "darwin") is None
