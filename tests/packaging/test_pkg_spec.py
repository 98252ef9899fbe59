"""The frozen build leaves some Qt modules out (packaging/inpaint-studio.spec, QT_UNUSED); a
module of the app that imports one of them would work from source and break only when frozen.
This catches it in the fast suite instead of in the smoke test."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _spec_list(name: str) -> list[str]:
    tree = ast.parse((ROOT / "packaging" / "inpaint-studio.spec").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"{name} not found in the spec")


def test_the_app_imports_no_qt_module_the_frozen_build_leaves_out():
    unused = set(_spec_list("QT_UNUSED"))
    assert {"QtCore", "QtGui", "QtWidgets", "QtSvg"}.isdisjoint(unused)
    bad = []
    for path in sorted((ROOT / "inpaint_studio").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "PySide6" and len(parts) > 1 and parts[1] in unused:
                    bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []
