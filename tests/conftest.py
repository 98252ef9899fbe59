"""Test-wide set-up: offscreen Qt, no real keyring, and per-user folders in a temporary place.

These are set before anything imports Qt, keyring, platformdirs or libpulse. Each test process
(each xdist worker too) gets one folder, `inpaint-studio-tests-*` in the system temporary
directory, removed when the session ends: the per-user folders (`INPAINT_STUDIO_HOME`) and the
runtime folder (`XDG_RUNTIME_DIR`: Qt's, and the PulseAudio daemon and socket of the playback
tests, which are then this session's own, never another run's and never left in /tmp)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

SESSION_DIR = Path(tempfile.mkdtemp(prefix="inpaint-studio-tests-"))
(SESSION_DIR / "run").mkdir(mode=0o700)
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
os.environ["INPAINT_STUDIO_HOME"] = str(SESSION_DIR / "home")
os.environ["XDG_RUNTIME_DIR"] = str(SESSION_DIR / "run")
# no PulseAudio client of the tests autospawns a daemon (with the user's default script) there
(SESSION_DIR / "pulse-client.conf").write_text("autospawn = no\n")
os.environ["PULSE_CLIENTCONFIG"] = str(SESSION_DIR / "pulse-client.conf")
for _name in ("PULSE_RUNTIME_PATH", "PULSE_SERVER", "PULSE_SINK", "MUSICGPT_API_KEY"):
    os.environ.pop(_name, None)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from inpaint_studio.core.audio import Audio  # noqa: E402
from inpaint_studio.core.encode import encode_audio  # noqa: E402


@pytest.fixture
def studio_home(tmp_path, monkeypatch):
    """A fresh, empty per-user folder for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("INPAINT_STUDIO_HOME", str(home))
    return home


def tone(seconds: float = 3.0, rate: int = 44100, channels: int = 2, freq: float = 440.0) -> Audio:
    """A sine per channel (a fifth apart, so the channels differ), at -12 dBFS."""
    t = np.arange(int(seconds * rate)) / rate
    rows = [0.25 * np.sin(2 * np.pi * freq * (1.5**c) * t) for c in range(channels)]
    return Audio(np.asarray(rows, dtype=np.float32), rate)


_TONES = SESSION_DIR / "tones"


@pytest.fixture
def audio_file(tmp_path):
    """Factory: write synthesised audio to a file of the given suffix via ffmpeg."""

    def make(suffix: str = ".wav", seconds: float = 3.0, rate: int = 44100, channels: int = 2):
        name = f"tone-{seconds}s-{rate}-{channels}{suffix}"
        made = _TONES / name  # encoded once per test process; each test gets its own copy
        if not made.exists():
            _TONES.mkdir(exist_ok=True)
            encode_audio(tone(seconds, rate, channels), made)
        shutil.copyfile(made, tmp_path / name)
        return tmp_path / name

    return make


# How the tests are shared between the xdist workers (`--dist loadgroup`): a module's tests run
# on one worker, in order, as they would in one process, so its module-scoped fixtures (servers,
# songs) are built once. Tests marked xdist_group("NAME") run on the worker of that group. Tests
# using the session fixtures below, which take many seconds to build (tests/engine/conftest.py:
# five fills of a 130-s song each), share one group, so they are built once, and are `slow`.
SHARED_SLOW_FIXTURES = {"steady_results": "engine-results", "drift_results": "engine-results"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        groups = {SHARED_SLOW_FIXTURES[f] for f in getattr(item, "fixturenames", ())
                  if f in SHARED_SLOW_FIXTURES}
        if groups:
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("xdist_group"):
            continue
        group = min(groups) if groups else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(optionalhook=True)  # a hook of xdist
def pytest_xdist_node_collection_finished(node, ids: list[str]) -> None:
    """In the xdist controller: each item's group must be in the id the scheduler reads. xdist
    3.8 writes it into `_nodeid`, which pytest 9.2 no longer reads (pytest-xdist issue 1386): the
    groups would then be silently ignored, each module's tests split over the workers and its
    module and session fixtures built on each. Stop rather than run the suite that way."""
    if node.config.getvalue("dist") != "loadgroup":
        return
    lost = [nodeid for nodeid in ids if "@" not in nodeid]
    if lost:
        pytest.exit(f"--dist loadgroup is not in effect (pytest {pytest.__version__} with this "
                    f"pytest-xdist; e.g. {lost[0]} has no group): use the versions "
                    f"pyproject.toml pins", returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_configure(config: pytest.Config) -> None:
    """Compile the package to bytecode once, before the workers start: where
    PYTHONDONTWRITEBYTECODE is set (this project's own machine sets it), every test worker and
    every Python the tests start (CLI, servers, engine and analysis processes, the audio
    process) would otherwise compile it from source again, as an installed wheel never does."""
    if hasattr(config, "workerinput") or not sys.dont_write_bytecode:
        return
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parents[1] / "inpaint_studio", quiet=2)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The session's folder goes with the session (the fixtures have stopped what used it)."""
    shutil.rmtree(SESSION_DIR, ignore_errors=True)
