"""The typed settings registry: every key is declared once with its type, default and meaning,
and stored in an INI file under `paths.config_dir()` through QSettings (Picard's options idea).

Every key of the app is declared here, in this module and nowhere else, so which keys exist
never depends on which features were imported (tests/services/test_settings_keys.py checks
that every key the code reads or writes is declared here). Reading an undeclared key is a
programming error. A schema version lets a release migrate old files: `Settings._migrate` holds
the steps, in order. Schema 1 is the first; no key has been renamed or changed meaning since,
so there is no migration step yet (a renamed key adds one there, next to its declaration)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal

from inpaint_studio import paths
from inpaint_studio.api.plans import DEFAULT_BASE_URL
from inpaint_studio.identity import EXECUTABLE

SCHEMA_VERSION = 1
FILE_NAME = f"{EXECUTABLE}.ini"
MAX_RECENT = 10


@dataclass(frozen=True)
class SettingSpec:
    key: str  # "section/name"
    type: type
    default: Any
    doc: str


REGISTRY: dict[str, SettingSpec] = {}


def declare(key: str, type_: type, default: Any, doc: str) -> SettingSpec:
    """Declare a setting (idempotent for an identical declaration)."""
    spec = SettingSpec(key, type_, default, doc)
    old = REGISTRY.get(key)
    if old is not None and (old.type, old.default) != (type_, default):
        raise ValueError(f"setting {key!r} is already declared differently")
    REGISTRY[key] = spec
    return spec


# -- every key of the app ------------------------------------------------------------------------
declare("files/recent", list, [], "Recently opened songs, newest first.")
declare("files/last_dir", str, "", "The folder the Open dialog starts in.")
declare("export/last_dir", str, "", "The folder the Export dialog starts in.")
declare("projects/recent", list, [], "Recently saved or opened projects, newest first.")
declare("projects/autosave_s", int, 60, "Seconds between autosaves while there are changes.")
declare("region/warn_shorter_than", float, 3.0, "Warn when a region is shorter (seconds).")
declare("region/warn_longer_than", float, 60.0, "Warn when a region is longer (seconds).")
declare("region/warn_fraction_of_song", float, 0.5, "Warn when a region covers more of the song.")
declare("keep/crossfade_ms", float, 30.0, "Crossfade at each seam of a kept version (ms).")
declare("view/ruler", str, "bars", "The detail view's ruler: 'bars' (bars.beats, when the song "
        "has a beat) or 'time' (m:ss).")
declare("view/snap", str, "bar", "Dragged region edges snap to the nearest 'bar' or 'beat', or "
        "'off'.")
declare("view/amplitude", str, "linear", "Waveform heights: 'linear' or 'db' (−60 dBFS at the "
        "centre line, 0 dBFS at the edge).")
declare("playback/volume", int, 100, "Output volume in percent (0–100), applied by the player "
        "after every other gain.")
declare("playback/device", str, "", "The output device's name; '' plays on the sound server's "
        "default.")
declare("window/geometry", bytes, b"", "Main window geometry.")
declare("window/state", bytes, b"", "Main window dock and toolbar state.")
declare("backend/kind", str, "", "Where jobs go: 'local', 'musicgpt', or '' (local until a key "
        "is set, then MusicGPT).")
declare("backend/base_url", str, DEFAULT_BASE_URL, "The MusicGPT API address.")
declare("backend/plan", str, "free",
        "The MusicGPT plan (free, plus, pro): pacing and prices; free until one is chosen.")
declare("backend/key_in_file", bool, False, "Keep the API key in a 0600 file when no system "
        "keyring works.")


class Settings(QObject):
    """Typed access to the settings file; `changed(key, value)` after every `set`."""

    changed = Signal(str, object)

    def __init__(self, path: str | os.PathLike[str] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path) if path is not None else paths.config_dir() / FILE_NAME
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._migrate()
        self._recent_songs = RecentList(self, "files/recent")

    def _migrate(self) -> None:
        version = int(self._qs.value("meta/schema_version", 0) or 0)
        # Version 1 is the first schema; later versions add their migrations here, in order.
        if version != SCHEMA_VERSION:
            self._qs.setValue("meta/schema_version", SCHEMA_VERSION)
            self._qs.sync()

    def get(self, key: str) -> Any:
        """The stored value converted to the declared type, or the default when absent/invalid."""
        spec = _spec(key)
        raw = self._qs.value(key, None)
        if raw is None:
            return _copy(spec.default)
        try:
            return _convert(raw, spec.type)
        except (TypeError, ValueError):
            return _copy(spec.default)

    def set(self, key: str, value: Any) -> None:
        spec = _spec(key)
        value = _convert(value, spec.type)
        # No sync() here: writing the file costs ~10 ms on the GUI thread. QSettings objects in
        # one process share their values at once, and Qt writes the file soon after and on exit.
        self._qs.setValue(key, value)
        self.changed.emit(key, value)

    def reset(self, key: str) -> None:
        self._qs.remove(key)
        self.changed.emit(key, self.get(key))

    def flush(self) -> None:
        """Write pending changes to the file now (on quit, and in tests that read the file)."""
        self._qs.sync()

    # -- recent songs ----------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        return self._recent_songs.paths()

    def add_recent(self, path: str | os.PathLike[str]) -> list[str]:
        """Put a song first in the recent list; the Open dialog then starts in its folder."""
        added = self._recent_songs.add(path)
        self.set("files/last_dir", os.path.dirname(added))
        return self.recent_files()

    def remove_recent(self, path: str) -> None:
        self._recent_songs.remove(path)


class RecentList:
    """A list setting of absolute paths, newest first, without repeats, at most `limit` long:
    the recent songs ("files/recent") and the recent projects ("projects/recent")."""

    def __init__(self, settings: Settings, key: str, limit: int = MAX_RECENT) -> None:
        if _spec(key).type is not list:
            raise TypeError(f"setting {key!r} is not a list")
        self.settings = settings
        self.key = key
        self.limit = limit

    def paths(self) -> list[str]:
        return [p for p in self.settings.get(self.key) if p]

    def add(self, path: str | os.PathLike[str]) -> str:
        """Put `path` (made absolute) first; return it as stored."""
        p = os.path.abspath(os.fspath(path))
        self.settings.set(self.key, ([p] + [r for r in self.paths() if r != p])[: self.limit])
        return p

    def remove(self, path: str | os.PathLike[str]) -> None:
        p = os.path.abspath(os.fspath(path))
        self.settings.set(self.key, [r for r in self.paths() if r != p])


def _spec(key: str) -> SettingSpec:
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"undeclared setting {key!r}; declare() it first") from None


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _convert(raw: Any, type_: type) -> Any:
    # QSettings' INI backend returns strings for most scalars and a str for a one-item list.
    if type_ is bool:
        if isinstance(raw, str):
            if raw.lower() in ("true", "1", "yes"):
                return True
            if raw.lower() in ("false", "0", "no", ""):
                return False
            raise ValueError(raw)
        return bool(raw)
    if type_ is list:
        if raw in ("", None):
            return []
        return [str(x) for x in raw] if isinstance(raw, (list, tuple)) else [str(raw)]
    if type_ is bytes:
        return bytes(raw.data() if hasattr(raw, "data") else raw)
    return type_(raw)
