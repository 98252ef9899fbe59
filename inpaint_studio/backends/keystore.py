"""Where the MusicGPT API key lives: the system keyring, overridden by `MUSICGPT_API_KEY`.

Without a working keyring the key is kept for this session only, unless the user chooses a
file readable only by them (0600, in the config folder). The key is never logged and never part
of a repr or an error message. No Qt here, so the CLI can read the same key."""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from inpaint_studio.identity import EXECUTABLE

log = logging.getLogger(__name__)

SERVICE = EXECUTABLE  # the keyring entry: a stored key must keep this name
USERNAME = "musicgpt-api-key"
ENV_VAR = "MUSICGPT_API_KEY"


@dataclass(frozen=True)
class KeyInfo:
    """Where the key in use comes from: "env", "keyring", "file", "session" or "" (none)."""

    source: str

    def describe(self) -> str:
        return {
            "env": f"from the {ENV_VAR} environment variable (overrides the stored key)",
            "keyring": "stored in the system keyring",
            "file": "stored in a file only you can read",
            "session": "kept for this session only (not saved)",
            "": "not set",
        }[self.source]


class KeyStore:
    """Read and store the API key. `keyring_ok` says whether the system keyring works; when it
    does not, `keyring_problem` says why in the user's words. The keyring is loaded and probed
    on first need, not when the store is made (the editor's window is drawn before it is)."""

    _session: str | None = None
    _present: bool | None = None  # has_key's answer, until set/clear/refresh
    _probed: tuple[bool, str] | None = None  # (keyring_ok, keyring_problem), once probed

    def __init__(self, file_path: Path | None = None) -> None:
        if file_path is None:
            from inpaint_studio import paths

            file_path = paths.config_dir() / "musicgpt.key"
        self.file_path = Path(file_path)
        self._session = None
        self._present = None
        self._probed = None

    def _probe(self) -> tuple[bool, str]:
        """Whether the keyring works and, if not, why: asked once, on first need."""
        if self._probed is None:
            self._probed = _probe_keyring()
        return self._probed

    @property
    def keyring_ok(self) -> bool:
        return self._probe()[0]

    @keyring_ok.setter
    def keyring_ok(self, ok: bool) -> None:
        self._probed = (ok, "" if self._probed is None else self._probed[1])

    @property
    def keyring_problem(self) -> str:
        return self._probe()[1]

    @keyring_problem.setter
    def keyring_problem(self, problem: str) -> None:
        self._probed = (self.keyring_ok if self._probed is None else self._probed[0], problem)

    def __repr__(self) -> str:  # never show the key
        return f"KeyStore(keyring_ok={self.keyring_ok}, info={self.info()})"

    def get(self) -> str | None:
        """The key to use, or None: environment, then session, then keyring, then the file."""
        env = os.environ.get(ENV_VAR, "").strip()
        if env:
            return env
        if self._session:
            return self._session
        if self.keyring_ok:
            with contextlib.suppress(Exception):
                value = _keyring().get_password(SERVICE, USERNAME)
                if value:
                    return value
        if self.file_path.is_file():
            with contextlib.suppress(OSError):
                value = self.file_path.read_text(encoding="utf-8").strip()
                return value or None
        return None

    def has_key(self) -> bool:
        """Whether a key is set, cheap enough for the GUI thread: the keyring (which may be a
        D-Bus round trip, or an unlock prompt) is asked once; `set` and `clear` renew it, and
        `refresh` forgets it (e.g. when the settings dialog opens)."""
        if os.environ.get(ENV_VAR, "").strip() or self._session:
            return True
        if self._present is None:
            self._present = self.get() is not None
        return self._present

    def has_key_known(self) -> bool | None:
        """`has_key()` if it can be answered without asking the keyring or reading the file (the
        environment variable, a session key, an answer already found), else None: then ask
        `has_key()` off the GUI thread."""
        if os.environ.get(ENV_VAR, "").strip() or self._session:
            return True
        return self._present

    def refresh(self) -> None:
        self._present = None

    def info(self) -> KeyInfo:
        if os.environ.get(ENV_VAR, "").strip():
            return KeyInfo("env")
        if self._session:
            return KeyInfo("session")
        if self.keyring_ok:
            with contextlib.suppress(Exception):
                if _keyring().get_password(SERVICE, USERNAME):
                    return KeyInfo("keyring")
        if self.file_path.is_file():
            return KeyInfo("file")
        return KeyInfo("")

    def set(self, key: str, *, to_file: bool = False) -> KeyInfo:
        """Store `key` (stripped; empty clears it): in the keyring when it works, else in a
        0600 file if `to_file`, else for this session only. Returns where it went."""
        key = key.strip()
        self._present = None
        if not key:
            self.clear()
            return self.info()
        self._session = None
        if self.keyring_ok and not to_file:
            try:
                _keyring().set_password(SERVICE, USERNAME, key)
                if _keyring().get_password(SERVICE, USERNAME) == key:
                    self._remove_file()
                    return KeyInfo("keyring")
            except Exception as exc:  # noqa: BLE001 - any backend failure: fall back, say why
                self._probed = (False, "The system keyring refused the key "
                                       f"({type(exc).__name__}).")
                log.warning("keyring refused the key: %s", type(exc).__name__)
        if to_file:
            _write_private(self.file_path, key)
            return KeyInfo("file")
        self._session = key
        return KeyInfo("session")

    def clear(self) -> None:
        """Forget the stored key everywhere it may be (not the environment variable)."""
        self._session = None
        self._present = None
        if self.keyring_ok:
            with contextlib.suppress(Exception):
                _keyring().delete_password(SERVICE, USERNAME)
        self._remove_file()

    def _remove_file(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.file_path.unlink()


def _keyring():  # noqa: ANN202 - the keyring module's backend object
    import keyring

    return keyring.get_keyring()


def _probe_keyring() -> tuple[bool, str]:
    """Whether a real keyring backend is configured (the null and fail backends are not)."""
    try:
        backend = _keyring()
    except Exception as exc:  # noqa: BLE001
        return False, f"No system keyring could be loaded ({type(exc).__name__})."
    module = type(backend).__module__
    if module.endswith((".null", ".fail")) or getattr(backend, "priority", 1) <= 0:
        return False, ("No system keyring is available on this computer, so the key cannot be "
                       "stored there.")
    return True, ""


def _write_private(path: Path, text: str) -> None:
    """Write a file readable only by its owner, atomically, never briefly world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
