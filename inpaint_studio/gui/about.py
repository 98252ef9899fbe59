"""The app's face to the desktop: its icon (package data, read with importlib.resources), the
identity given to QApplication (QSettings names, desktop file name), and the About box.

Everything shown comes from `inpaint_studio.identity`; nothing here is hard-coded twice."""

from __future__ import annotations

import platform
from importlib import resources

from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from inpaint_studio import identity, paths
from inpaint_studio.core.errors import FfmpegMissing
from inpaint_studio.core.ffmpeg import ffmpeg_path
from inpaint_studio.gui import theme

ICON_SIZES = (16, 32, 48, 64, 128, 256)  # PNGs made by packaging/make_assets.py


def _icon_bytes(name: str) -> bytes:
    return resources.files("inpaint_studio").joinpath("resources", "icons", name).read_bytes()


def icon_pixmap(size: int) -> QPixmap:
    """The app icon at one of ICON_SIZES (a null pixmap if the package data is missing)."""
    pixmap = QPixmap()
    pixmap.loadFromData(_icon_bytes(f"{identity.EXECUTABLE}-{size}.png"), "PNG")
    return pixmap


def app_icon() -> QIcon:
    """The app icon with every bundled size, so Qt never scales a small one up."""
    icon = QIcon()
    for size in ICON_SIZES:
        pixmap = icon_pixmap(size)
        if not pixmap.isNull():
            icon.addPixmap(pixmap)
    return icon


def apply_identity(app: QApplication) -> None:
    """Name the application for QSettings and the desktop (the .desktop file and WM class match
    the identity) and give every window the app icon. Call once, right after QApplication."""
    app.setApplicationName(identity.EXECUTABLE)
    app.setApplicationDisplayName(identity.NAME)
    app.setApplicationVersion(identity.VERSION)
    app.setOrganizationName(identity.ORGANISATION)
    app.setOrganizationDomain(identity.ORGANISATION_DOMAIN)
    app.setDesktopFileName(identity.APP_ID)
    app.setWindowIcon(app_icon())


def environment_lines() -> list[tuple[str, str]]:
    """What a bug report needs: versions and where the app keeps its files."""
    try:
        ffmpeg = ffmpeg_path()
    except FfmpegMissing:
        ffmpeg = "not found (install ffmpeg)"
    return [
        ("Version", identity.VERSION),
        ("Qt / PySide6", f"{qVersion()} / {PYSIDE_VERSION}"),
        ("Python", f"{platform.python_version()} on {platform.system()} {platform.machine()}"),
        ("ffmpeg", ffmpeg),
        ("Settings", str(paths.config_dir())),
        ("Jobs and data", str(paths.data_dir())),
        ("Downloads cache", str(paths.cache_dir())),
        ("Logs", str(paths.log_dir())),
    ]


class AboutDialog(QDialog):
    """Name, version, summary, licence, homepage, and the versions and folders for bug reports."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {identity.NAME}")
        icon = QLabel()
        icon.setPixmap(icon_pixmap(128))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)

        title = QLabel(f"<h2>{identity.NAME}</h2><p>{identity.SUMMARY}.</p>")
        title.setWordWrap(True)
        rows = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>"
                       for k, v in environment_lines())
        self.details = QLabel(f"<table>{rows}</table>")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The link in the theme's link colour, spelt out: rich text in a QLabel does not always
        # follow the palette, and Qt's default blue is unreadable on the dark panel.
        footer = QLabel(f'{identity.COPYRIGHT}. {identity.LICENSE} licence. '
                        f'<a href="{identity.HOMEPAGE}" style="color: {theme.LINK};">'
                        f'{identity.HOMEPAGE}</a>')
        footer.setWordWrap(True)
        footer.setOpenExternalLinks(False)  # opened by us, so tests can see the request
        footer.linkActivated.connect(lambda url: QDesktopServices.openUrl(QUrl(url)))

        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(self.details)
        text.addWidget(footer)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.footer = footer
        esc = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        esc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        esc.activated.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)


def show_about(parent: QWidget | None = None) -> AboutDialog:
    """Open the About box (modeless; it deletes itself on close) and return it."""
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    # In front and with the keyboard, so Esc closes it (not a shortcut of the window behind).
    dialog.raise_()
    dialog.activateWindow()
    return dialog
