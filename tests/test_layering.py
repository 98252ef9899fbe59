"""The layer rule of DESIGN.md §2: headless packages never load Qt; widgets never reach past
the services into the client, server or engine."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "inpaint_studio"
HEADLESS = ["core", "engine", "api", "server", "jobs", "playback", "backends", "commands",
            "scripting"]


@pytest.mark.parametrize("package", HEADLESS + ["cli"])
def test_headless_package_loads_no_qt(package):
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"name = 'inpaint_studio.{package}'\n"
        "mod = importlib.import_module(name)\n"
        "if hasattr(mod, '__path__'):\n"
        "    for info in pkgutil.walk_packages(mod.__path__, name + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(m for m in sys.modules\n"
        "    if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


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
# The parts of inpaint_studio each layer may import (DESIGN.md §2); anything else is a breach.
# identity and paths are leaf helpers with no imports of their own beyond identity.
_LEAF = {"identity", "paths"}
ALLOWED = {
    "core": {"core"},
    "engine": {"engine", "core"},
    "api": {"api", "core"} | _LEAF,
    "server": {"server", "api", "engine", "core"} | _LEAF,
    "jobs": {"jobs", "api", "core"} | _LEAF,
    "playback": {"playback", "core"},
    "backends": {"backends", "jobs", "api", "server", "core"} | _LEAF,
    "commands": {"commands", "backends", "jobs", "api", "server", "engine", "core"} | _LEAF,
    # the Python API for scripts and notebooks: a library layer beside the CLI, not on it
    "scripting": {"scripting", "backends", "jobs", "api", "core"} | _LEAF,
    "services": {"services", "backends", "jobs", "playback", "api", "server", "engine",
                 "core"} | _LEAF,
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
