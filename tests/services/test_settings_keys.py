"""Every settings key is declared in one module, `services.settings`, whatever was imported.

The keys are found statically: every `.get("a/b")`, `.set("a/b")` or `.reset("a/b")` with a
literal "section/name" key, and every `RecentList(settings, "a/b")`, anywhere in the package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "inpaint_studio"
SETTINGS_MODULE = PKG / "services" / "settings.py"
KEY = re.compile(r"^[a-z_]+/[a-z_]+$")


def _modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _keys_used(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        args = node.args[1:2] if name == "RecentList" else node.args[:1]
        if name in ("get", "set", "reset", "RecentList"):
            for a in args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and KEY.match(a.value):
                    found.add(a.value)
    return found


def _declares(tree: ast.AST) -> list[int]:
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and _callee(n) == "declare"]


def test_every_key_used_is_declared_in_the_settings_module():
    # In a fresh interpreter nothing else has been imported: the registry is the one module's.
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", "from inpaint_studio.services import settings as s\n"
         "print('\\n'.join(sorted(s.REGISTRY)))"],
        capture_output=True, text=True, check=True)
    declared = set(out.stdout.split())
    used: dict[str, list[str]] = {}
    for path in _modules():
        for key in _keys_used(ast.parse(path.read_text(encoding="utf-8"))):
            used.setdefault(key, []).append(str(path.relative_to(PKG)))
    undeclared = {k: v for k, v in used.items() if k not in declared}
    assert not undeclared, f"keys used but not declared in services/settings.py: {undeclared}"
    unused = declared - set(used)
    assert not unused, f"keys declared but never read or written: {sorted(unused)}"


def test_no_module_but_settings_declares_a_key():
    offenders = {}
    for path in _modules():
        if path == SETTINGS_MODULE:
            continue
        lines = _declares(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            offenders[str(path.relative_to(PKG))] = lines
    assert not offenders, f"declare() outside services/settings.py: {offenders}"
    assert _declares(ast.parse(SETTINGS_MODULE.read_text(encoding="utf-8")))  # the scan sees them


def test_the_scan_finds_keys_and_declarations():
    # The checks above are only as good as the scan: it must see these forms.
    tree = ast.parse(
        'settings.get("a/b")\nself.settings.set("c/d", 1)\ns.reset("e/f")\n'
        'RecentList(self, "g/h")\nd.get("not a key")\nx.get(KEY)\ndeclare("i/j", int, 0, "")\n'
        'settings_mod.declare("k/l", int, 0, "")\n')
    assert _keys_used(tree) == {"a/b", "c/d", "e/f", "g/h"}
    assert _declares(tree) == [7, 8]
