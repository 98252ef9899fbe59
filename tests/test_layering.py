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
HEADLESS = ["core", "engine", "api", "server", "jobs", "playback", "commands"]


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
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


FORBIDDEN = {
    "core": ["PySide6", "pyqtgraph", "requests", "inpaint_studio."],
    "engine": ["PySide6", "pyqtgraph", "requests", "fastapi", "uvicorn"],
    "api": ["PySide6", "pyqtgraph", "inpaint_studio.server", "inpaint_studio.engine"],
    "server": ["PySide6", "pyqtgraph", "inpaint_studio.gui", "inpaint_studio.services"],
    "jobs": ["PySide6", "pyqtgraph", "inpaint_studio.gui", "inpaint_studio.services"],
    "playback": ["PySide6", "pyqtgraph", "inpaint_studio.gui", "inpaint_studio.services"],
    "services": ["PySide6.QtWidgets", "PySide6.QtGui", "pyqtgraph", "inpaint_studio.gui"],
    "gui": ["inpaint_studio.api", "inpaint_studio.server", "inpaint_studio.engine",
            "inpaint_studio.jobs", "inpaint_studio.playback"],
}
# core may use its own modules and the package-level identity/paths helpers
CORE_ALLOWED = ("inpaint_studio.core",)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    bad = []
    for path in sorted((PKG / package).rglob("*.py")):
        for name in _imports(path):
            for prefix in FORBIDDEN[package]:
                if package == "core" and name.startswith(CORE_ALLOWED):
                    continue
                if name == prefix.rstrip(".") or name.startswith(prefix):
                    bad.append(f"{path.relative_to(PKG)} imports {name}")
    assert bad == []
