"""The "Recent …" menus (songs, projects): one entry per path, newest first."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtWidgets import QMenu


def fill_recent_menu(menu: QMenu, paths: list[str], open_path: Callable[[str], object]) -> None:
    """Refill `menu` with an entry per path (its file name; the whole path as its tooltip) that
    calls `open_path(path)`; the menu is disabled while the list is empty."""
    menu.clear()
    for path in paths:
        action = menu.addAction(os.path.basename(path))
        action.setToolTip(path)
        action.triggered.connect(lambda _c=False, p=path: open_path(p))
    menu.setEnabled(bool(paths))
