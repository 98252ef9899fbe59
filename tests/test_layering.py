"""The house rules of docs/ARCHITECTURE.md: headless packages never load Qt; widgets never reach
past the services into the client, server or engine; only the composition root (app.py) builds
services; features are linked by constructor arguments and signals, never through attributes
patched onto the window. Each rule is also shown to catch a planted violation."""

from __future__ import annotations

import ast
import dataclasses
import enum
import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "inpaint_studio"
HEADLESS = ["core", "engine", "api", "server", "jobs", "playback", "backends", "commands",
            "scripting", "musicmap", "player"]


# One interpreter for all the packages: the third-party libraries they use are imported once
# (and shown to load no Qt themselves), then each package is imported in a child forked from
# that interpreter, so it starts with no module of inpaint_studio loaded, as in a fresh one.
# (A fresh interpreter per package spent most of its time importing numpy and FastAPI twelve
# times over.)
QT_ROOTS = ("PySide6", "pyqtgraph", "shiboken6")
QT_PROBE = """
import importlib, json, os, pkgutil, sys
QT = %r
for lib in %r:
    try:
        importlib.import_module(lib)
    except ImportError:
        pass
assert not any(m.split('.')[0] in QT for m in sys.modules), "a third-party library loads Qt"
assert not any(m.split('.')[0] == 'inpaint_studio' for m in sys.modules)
found = {}
for name in %r:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            mod = importlib.import_module(name)
            if hasattr(mod, '__path__'):
                for info in pkgutil.walk_packages(mod.__path__, name + '.'):
                    importlib.import_module(info.name)
            out = sorted(m for m in sys.modules if m.split('.')[0] in QT)
        except BaseException as exc:
            out = ['import failed: %%s: %%s' %% (type(exc).__name__, exc)]
        os.write(write, json.dumps(out).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, 'rb') as fh:
        found[name] = json.loads(fh.read() or b'["no answer"]')
    os.waitpid(pid, 0)
print(json.dumps(found))
"""
# Imported before the fork: what the headless packages use that takes long to import.
THIRD_PARTY = ("numpy", "scipy.signal", "scipy.ndimage", "scipy.fft", "soundfile",
               "requests", "fastapi", "uvicorn", "pydantic", "starlette.applications", "mido",
               "platformdirs", "keyring", "pydub")


def qt_loaded_by(packages: list[str], path: Path | None = None) -> dict[str, list[str]]:
    """Package (a module name) → the Qt modules importing every module of it loads (`[]`:
    none); `path` is put in front of the module search path."""
    code = QT_PROBE % (QT_ROOTS, THIRD_PARTY, packages)
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


PLANTED = "planted_qt_user"  # a package whose second module loads Qt through the first


@pytest.fixture(scope="module")
def headless_qt(tmp_path_factory):
    """One probe for every headless package, with a planted offender first (each package is
    imported in its own child, so the offender's Qt must not show in the ones after it)."""
    root = tmp_path_factory.mktemp("plant")
    (root / PLANTED).mkdir()
    (root / PLANTED / "__init__.py").write_text("", encoding="utf-8")
    (root / PLANTED / "a.py").write_text("from PySide6 import QtCore\n", encoding="utf-8")
    (root / PLANTED / "b.py").write_text("from . import a\n", encoding="utf-8")
    return qt_loaded_by([PLANTED] + [f"inpaint_studio.{p}" for p in HEADLESS + ["cli"]], root)


@pytest.mark.parametrize("package", HEADLESS + ["cli"])
def test_headless_package_loads_no_qt(package, headless_qt):
    assert headless_qt[f"inpaint_studio.{package}"] == []


def test_a_package_that_loads_qt_indirectly_is_caught(headless_qt):
    assert "PySide6.QtCore" in headless_qt[PLANTED]


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved, `from pkg import mod` as
    `pkg.mod` (so `from inpaint_studio import paths` counts as `inpaint_studio.paths`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = ["inpaint_studio", *path.relative_to(PKG).with_suffix("").parts]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = here[: len(here) - node.level]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return names


# Third-party libraries a layer must not use.
FORBIDDEN = {
    "core": ["PySide6", "pyqtgraph", "requests", "fastapi", "uvicorn"],
    "engine": ["PySide6", "pyqtgraph", "requests", "fastapi", "uvicorn"],
    "musicmap": ["PySide6", "pyqtgraph", "requests", "fastapi", "uvicorn", "librosa",
                 "pretty_midi", "mir_eval"],
    "player": ["PySide6", "pyqtgraph", "requests", "fastapi", "uvicorn", "librosa",
               "pretty_midi", "mir_eval"],
    "api": ["PySide6", "pyqtgraph", "fastapi", "uvicorn"],
    "server": ["PySide6", "pyqtgraph"],
    "jobs": ["PySide6", "pyqtgraph", "fastapi", "uvicorn"],
    "backends": ["PySide6", "pyqtgraph", "fastapi", "uvicorn"],
    "playback": ["PySide6", "pyqtgraph", "requests", "fastapi", "uvicorn"],
    "commands": ["PySide6", "pyqtgraph"],
    "scripting": ["PySide6", "pyqtgraph", "fastapi", "uvicorn"],
    "services": ["PySide6.QtWidgets", "PySide6.QtGui", "pyqtgraph"],
    "gui": ["requests", "fastapi", "uvicorn"],
}
# The parts of inpaint_studio each layer may import (docs/ARCHITECTURE.md); anything else
# is a breach.
# identity, paths and display are leaf helpers with no imports of their own beyond identity.
_LEAF = {"identity", "paths", "display"}
ALLOWED = {
    "core": {"core"},
    # the engine's beats and bars come from the map's tracker and metre (one beat tracker)
    "engine": {"engine", "musicmap", "core"} | _LEAF,
    # paths only for the default cache folder (a leaf helper)
    "musicmap": {"musicmap", "core"} | _LEAF,
    # the session player composes on the map and renders into the song; of the engine it
    # uses only the result value types, so its versions have the engine's shape
    "player": {"player", "musicmap", "engine", "core"} | _LEAF,
    "api": {"api", "core"} | _LEAF,
    "server": {"server", "api", "engine", "core"} | _LEAF,
    "jobs": {"jobs", "api", "core"} | _LEAF,
    "playback": {"playback", "core"},
    "backends": {"backends", "jobs", "api", "server", "core"} | _LEAF,
    "commands": {"commands", "backends", "jobs", "api", "server", "engine", "musicmap",
                 "player", "core"} | _LEAF,
    # the Python API for scripts and notebooks: a library layer beside the CLI, not on it
    "scripting": {"scripting", "backends", "jobs", "api", "core"} | _LEAF,
    # the session player's prompt parser: the job form shows its plan (services/prompt_plan)
    "services": {"services", "backends", "jobs", "playback", "api", "server", "engine", "musicmap",
                 "player", "core"} | _LEAF,
    "gui": {"gui", "services", "backends", "core", "resources"} | _LEAF,
}


def _part(name: str) -> str | None:
    """`inpaint_studio.<part>[.<module>]` → "<part>[.<module>]"; None for other packages."""
    if name == "inpaint_studio" or not name.startswith("inpaint_studio."):
        return None
    return ".".join(name.split(".")[1:3])


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    bad = []
    for path in sorted((PKG / package).rglob("*.py")):
        for name in sorted(_imports(path)):
            part = _part(name)
            if part is not None:
                if part.split(".")[0] in ALLOWED[package]:
                    continue
                bad.append(f"{path.relative_to(PKG)} imports {name}")
            elif any(name == lib or name.startswith(lib + ".") for lib in FORBIDDEN[package]):
                bad.append(f"{path.relative_to(PKG)} imports {name}")
    assert bad == []


def test_the_checker_sees_relative_and_from_package_imports(tmp_path, monkeypatch):
    """The rule is only as good as its import scan: prove it catches the forms that slip by."""
    fake = tmp_path / "inpaint_studio" / "core"
    fake.mkdir(parents=True)
    (fake / "x.py").write_text("from ..services import worker\nfrom inpaint_studio import gui\n"
                               "from . import audio\nimport PySide6.QtCore\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PKG", tmp_path / "inpaint_studio")
    found = _imports(fake / "x.py")
    assert {"inpaint_studio.services.worker", "inpaint_studio.gui",
            "inpaint_studio.core.audio", "PySide6.QtCore"} <= found
    with pytest.raises(AssertionError):
        test_imports_point_one_way("core")


# -- only the composition root builds services ---------------------------------------------------
# Packages whose classes are services (objects with a lifetime and collaborators). Their plain
# values (dataclasses, enums, exceptions) may be made anywhere.
SERVICE_PACKAGES = ("services", "backends", "jobs", "api", "server", "playback", "engine")


def _is_service_class(module: str, name: str) -> bool:
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    return (inspect.isclass(obj) and not dataclasses.is_dataclass(obj)
            and not issubclass(obj, (enum.Enum, BaseException)))


def service_constructions(root: Path) -> list[str]:
    """`gui/…` modules that call a service class (imported from a service package) or a
    function/class reached through such a module (`project_service.ProjectService(...)`)."""
    bad = []
    for path in sorted((root / "gui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: dict[str, tuple[str, str]] = {}  # local name → (module, class name)
        modules: dict[str, str] = {}  # local name → service module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                part = node.module.split(".")
                if part[0] == "inpaint_studio" and len(part) > 1 and part[1] in SERVICE_PACKAGES:
                    for a in node.names:
                        if len(part) == 2:  # from inpaint_studio.services import x (a module)
                            modules[a.asname or a.name] = f"{node.module}.{a.name}"
                        else:
                            names[a.asname or a.name] = (node.module, a.name)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id in names and _is_service_class(*names[f.id]):
                bad.append(f"{path.relative_to(root)}:{node.lineno} builds {f.id}")
            elif (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                  and f.value.id in modules and _is_service_class(modules[f.value.id], f.attr)):
                bad.append(f"{path.relative_to(root)}:{node.lineno} builds {f.attr}")
    return bad


def test_no_gui_module_builds_a_service():
    assert service_constructions(PKG) == []


# -- features are linked explicitly, never through the window --------------------------------
WINDOW_NAMES = {"window", "win", "w"}


def _is_window(node: ast.AST) -> bool:
    """`window`, `win`, `w` or `self.window`."""
    if isinstance(node, ast.Name):
        return node.id in WINDOW_NAMES
    return (isinstance(node, ast.Attribute) and node.attr == "window"
            and isinstance(node.value, ast.Name) and node.value.id == "self")


def window_links(root: Path) -> list[str]:
    """Links through the window: `getattr(window, …)`, `hasattr(window, …)`, `window: Any`,
    and attributes set on a window from outside its class (`window.compare = …`)."""
    bad = []
    files = sorted((root / "gui").rglob("*.py")) + [root / "app.py", root / "gui_main.py"]
    for path in files:
        if not path.exists():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(root)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr", "setattr") and node.args
                    and _is_window(node.args[0])):
                bad.append(f"{where}:{node.lineno} {node.func.id}(window, …)")
            elif isinstance(node, (ast.arg, ast.AnnAssign)):
                target = node.arg if isinstance(node, ast.arg) else getattr(node.target, "id", "")
                ann = node.annotation
                if (target in WINDOW_NAMES | {"window"} and ann is not None
                        and ast.unparse(ann) in ("Any", "typing.Any", "object")):
                    bad.append(f"{where}:{node.lineno} {target}: {ast.unparse(ann)}")
            elif isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Attribute) and _is_window(t.value):
                        bad.append(f"{where}:{node.lineno} sets window.{t.attr}")
    return bad


def test_features_are_not_linked_through_the_window():
    assert window_links(PKG) == []


def test_no_private_slot_is_connected_from_outside_its_object():
    """`x.signal.connect(other._private)`: a private method connected from another object."""
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "connect" and node.args
                    and isinstance(node.args[0], ast.Attribute)
                    and node.args[0].attr.startswith("_")
                    and not (isinstance(node.args[0].value, ast.Name)
                             and node.args[0].value.id in ("self", "cls"))):
                bad.append(f"{path.relative_to(PKG)}:{node.lineno} connects "
                           f"{ast.unparse(node.args[0])}")
    assert bad == []


def test_the_entry_points_do_not_import_each_other():
    """cli.main → app.run_gui (imported when the editor starts) → gui_main (the parser): one
    way, no cycle; gui_main imports no part of the app but the command list."""
    gui_main = {n for n in _imports(PKG / "gui_main.py") if _part(n)}
    assert not any(_part(n).split(".")[0] in ("app", "gui", "services") for n in gui_main)
    cli_top = ast.parse((PKG / "cli.py").read_text(encoding="utf-8")).body
    top_imports = {a.name if isinstance(n, ast.Import) else n.module
                   for n in cli_top if isinstance(n, (ast.Import, ast.ImportFrom))
                   for a in n.names}
    assert not any(str(m).startswith("inpaint_studio.app") for m in top_imports)


def test_only_the_composition_root_connects_features_to_each_other():
    """A feature module never imports another feature module: app.py links them."""
    features = {"jobs_panel", "keep_panel", "compare_panel", "welcome_panel",
                "music_map_feature"}
    bad = []
    for name in sorted(features):
        for imported in _imports(PKG / "gui" / f"{name}.py"):
            if imported.startswith("inpaint_studio.gui.") and \
                    imported.split(".")[2] in features - {name}:
                bad.append(f"gui/{name}.py imports {imported}")
    assert bad == []


# -- the checks catch what they are for -------------------------------------------------------
def _plant(tmp_path: Path, package: str, source: str) -> Path:
    root = tmp_path / "inpaint_studio"
    (root / package).mkdir(parents=True, exist_ok=True)
    (root / package / "planted.py").write_text(source, encoding="utf-8")
    return root


def test_a_gui_module_building_a_service_is_caught(tmp_path):
    root = _plant(tmp_path, "gui", "from inpaint_studio.services.job_controller import "
                  "JobController, Stage\nfrom inpaint_studio.services import player\n"
                  "def f(a):\n    Stage('done')\n    JobController(a, a, a, a)\n"
                  "    return player.Player(a)\n")
    found = service_constructions(root)
    assert [f.split(" ", 1)[1] for f in found] == ["builds JobController", "builds Player"]


def test_a_link_through_the_window_is_caught(tmp_path):
    root = _plant(tmp_path, "gui", "from typing import Any\n"
                  "class F:\n    def __init__(self, window: Any):\n"
                  "        self.window = window\n        window.compare = self\n"
                  "        c = getattr(self.window, 'compare', None)\n")
    found = [f.split(" ", 1)[1] for f in window_links(root)]
    assert sorted(found) == ["getattr(window, …)", "sets window.compare", "window: Any"]


def test_a_qt_import_in_a_headless_package_is_caught(tmp_path, monkeypatch):
    _plant(tmp_path, "backends", "from PySide6.QtCore import QObject\n")
    monkeypatch.setattr(sys.modules[__name__], "PKG", tmp_path / "inpaint_studio")
    with pytest.raises(AssertionError):
        test_imports_point_one_way("backends")
