"""One identity feeds everything: the committed desktop file, metainfo, icons, the build spec and
`--version` all agree with inpaint_studio/identity.py, and the desktop files pass the validators."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from inpaint_studio import identity

ROOT = Path(__file__).resolve().parents[2]


def test_committed_desktop_and_metainfo_are_generated_from_identity(make_assets):
    assert make_assets.DESKTOP_FILE.read_text(encoding="utf-8") == make_assets.desktop_entry()
    assert make_assets.METAINFO_FILE.read_text(encoding="utf-8") == make_assets.metainfo()
    assert make_assets.main(["--check"]) == 0


def test_desktop_entry_names_the_app(make_assets):
    entry = dict(line.split("=", 1) for line in make_assets.desktop_entry().splitlines()[1:])
    assert entry["Name"] == identity.NAME
    assert entry["Exec"].split()[0] == identity.EXECUTABLE
    assert entry["Icon"] == identity.APP_ID
    assert make_assets.DESKTOP_FILE.name == f"{identity.APP_ID}.desktop"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-utils not installed (.ci/run installs it)")
def test_desktop_file_validates(make_assets):
    out = subprocess.run(["desktop-file-validate", str(make_assets.DESKTOP_FILE)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == ""  # no warnings either


@pytest.mark.skipif(shutil.which("appstreamcli") is None,
                    reason="appstream not installed (.ci/run installs it)")
def test_metainfo_validates(make_assets):
    out = subprocess.run(["appstreamcli", "validate", "--no-net", "--explain",
                          str(make_assets.METAINFO_FILE)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_metainfo_screenshots_exist_in_the_repository(make_assets):
    text = make_assets.metainfo()
    assert make_assets.SHOTS
    for shot in make_assets.SHOTS:
        assert f"{identity.SCREENSHOT_BASE}/{shot.name}.png" in text
        png = ROOT / "docs" / "screenshots" / f"{shot.name}.png"
        assert png.is_file(), f"{png} missing: run packaging/screenshots.py"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_icons_are_rendered_at_every_size_and_shipped_as_package_data(make_assets):
    assert make_assets.MASTER_SVG.is_file()
    for size in make_assets.ICON_SIZES:
        png = make_assets.HICOLOR / f"{size}x{size}" / "apps" / f"{identity.APP_ID}.png"
        assert _png_size(png.read_bytes()) == (size, size)
    for size in make_assets.PACKAGE_ICON_SIZES:
        shipped = make_assets.PACKAGE_ICONS / f"{identity.EXECUTABLE}-{size}.png"
        source = make_assets.HICOLOR / f"{size}x{size}" / "apps" / f"{identity.APP_ID}.png"
        assert shipped.read_bytes() == source.read_bytes()
    shipped_svg = make_assets.PACKAGE_ICONS / f"{identity.EXECUTABLE}.svg"
    assert shipped_svg.read_bytes() == make_assets.MASTER_SVG.read_bytes()


def test_pyproject_and_spec_take_their_names_from_identity():
    # (no tomllib: Python 3.10 is supported)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'version = { attr = "inpaint_studio.identity.VERSION" }' in pyproject
    assert f'{identity.EXECUTABLE} = "inpaint_studio.cli:main"' in pyproject
    spec = (ROOT / "packaging" / "inpaint-studio.spec").read_text(encoding="utf-8")
    assert "name=identity.EXECUTABLE" in spec
    # build tools stay out of the runtime dependencies (they are in the `dev` extra)
    runtime = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0].lower()
    assert "pyinstaller" not in runtime and '"build' not in runtime


def test_version_is_printed_from_identity():
    out = subprocess.run([sys.executable, "-m", "inpaint_studio", "--version"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == identity.version_line()


@pytest.mark.skipif(shutil.which("update-mime-database") is None,
                    reason="shared-mime-info not installed (.ci/run installs it)")
def test_the_project_type_is_declared_and_opens_with_the_app(make_assets, tmp_path):
    """A file manager opens `.inpaint` files with the app: the committed shared-mime-info
    package maps the suffix to the project type (checked with the real `update-mime-database`),
    and the .desktop file and the metainfo both name that type."""
    assert make_assets.MIME_FILE.read_text(encoding="utf-8") == make_assets.mime_info()
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(make_assets.MIME_FILE, packages)
    out = subprocess.run(["update-mime-database", str(tmp_path / "mime")], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    globs = (tmp_path / "mime" / "globs2").read_text(encoding="utf-8")
    assert f"{identity.PROJECT_MIME_TYPE}:*{identity.PROJECT_SUFFIX}" in globs
    entry = dict(line.split("=", 1) for line in make_assets.desktop_entry().splitlines()[1:])
    assert identity.PROJECT_MIME_TYPE in entry["MimeType"].split(";")
    assert f"<mediatype>{identity.PROJECT_MIME_TYPE}</mediatype>" in make_assets.metainfo()
