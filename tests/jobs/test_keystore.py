"""The API key: environment over keyring, session-only without a keyring unless a 0600 file is
chosen, never in a repr."""

from __future__ import annotations

import stat

from inpaint_studio.backends.keystore import ENV_VAR, KeyStore

SECRET = "sk-keystore-SECRET-91"


def test_without_a_keyring_the_key_is_kept_for_the_session_only(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    keys = KeyStore(tmp_path / "k")
    assert not keys.keyring_ok and "No system keyring" in keys.keyring_problem
    assert keys.get() is None and keys.info().source == ""
    assert keys.set(SECRET).source == "session"
    assert keys.get() == SECRET and not (tmp_path / "k").exists()
    assert KeyStore(tmp_path / "k").get() is None  # gone with the session
    assert SECRET not in repr(keys)


def test_a_chosen_file_is_private_and_survives(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    keys = KeyStore(tmp_path / "cfg" / "k")
    assert keys.set(SECRET, to_file=True).source == "file"
    mode = stat.S_IMODE((tmp_path / "cfg" / "k").stat().st_mode)
    assert mode == 0o600
    again = KeyStore(tmp_path / "cfg" / "k")
    assert again.get() == SECRET and again.info().source == "file"
    again.clear()
    assert not (tmp_path / "cfg" / "k").exists() and again.get() is None


def test_the_environment_overrides(tmp_path, monkeypatch):
    keys = KeyStore(tmp_path / "k")
    keys.set("stored", to_file=True)
    monkeypatch.setenv(ENV_VAR, SECRET)
    assert keys.get() == SECRET and keys.info().source == "env"
    assert "environment variable" in keys.info().describe()


def test_has_key_asks_the_store_once_and_follows_set_and_clear(tmp_path, monkeypatch):
    # The job form asks which backend is active on every region drag, on the GUI thread: the
    # keyring (a D-Bus round trip, perhaps an unlock prompt) must not be asked each time.
    from inpaint_studio.backends.keystore import ENV_VAR, KeyStore

    monkeypatch.delenv(ENV_VAR, raising=False)
    keys = KeyStore(tmp_path / "musicgpt.key")
    reads = []
    real_get = keys.get
    monkeypatch.setattr(keys, "get", lambda: (reads.append(1), real_get())[1])
    assert not keys.has_key() and not keys.has_key() and len(reads) == 1
    keys.set("sk-once-789", to_file=True)
    assert keys.has_key()
    keys.clear()
    assert not keys.has_key()
    monkeypatch.setenv(ENV_VAR, "sk-env")
    assert keys.has_key()
