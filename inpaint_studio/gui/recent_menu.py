"""One way to list recent files in a menu (songs in File ▸ Open Recent, projects in Recent
Projects): newest first, the file's name shown, its full path as the tooltip."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtWidgets import QMenu


def fill_recent_menu(menu: QMenu, paths: list[str], open_path: Callable[[str], object]) -> None:
    """Replace `menu`'s entries with `paths`; choosing one calls `open_path(path)`. An empty
    list leaves the menu disabled."""
    menu.clear()
    for path in paths:
        action = menu.addAction(os.path.basename(path))
        action.setToolTip(path)
        action.triggered.connect(lambda _c=False, p=path: open_path(p))
    menu.setEnabled(bool(paths))
