"""The backend settings dialog: where the key goes, what it says without a keyring, and the
connection test in a worker against the local server over loopback."""

from __future__ import annotations

import pytest

from inpaint_studio.backends.backend import LOCAL, MUSICGPT, Backends, BackendSettings
from inpaint_studio.backends.keystore import ENV_VAR, KeyStore
from inpaint_studio.gui.settings_dialog import SettingsDialog
from inpaint_studio.services import backend_settings
from tests.jobs.support import KEY, counting_server, engine_pool


@pytest.fixture
def keys(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    return KeyStore(tmp_path / "cfg" / "musicgpt.key")


@pytest.fixture
def backends(tmp_path, keys):
    b = Backends(BackendSettings(), keys, server_dir=tmp_path / "server", server_engine="quick",
                 server_engine_pool=engine_pool())
    yield b
    b.stop()


def _dialog(qtbot, settings, keys, backends, workers):
    d = SettingsDialog(settings, keys, backends, workers)
    qtbot.addWidget(d)
    d.show()
    return d


def test_without_a_keyring_it_says_so_and_keeps_the_key_for_the_session(
        qtbot, settings, keys, backends, workers):
    d = _dialog(qtbot, settings, keys, backends, workers)
    assert not d.keyring_note.isHidden() and "No system keyring" in d.keyring_note.text()
    assert "this session only" in d.keyring_note.text()
    assert backends.active_kind() == LOCAL  # no key yet: local by default
    # no key: said plainly, and nothing speaks of "the current key" or offers to forget one
    assert d.key_status.text().startswith("No key set")
    assert "current key" not in d.key.placeholderText() and "No key set" in \
        d.key.placeholderText()
    assert d.clear_key.isHidden()
    # no plan chosen: the cheapest assumption, and it says so
    assert d.plan.currentData() == "free" and d.plan.currentText() == "Free (pay as you go)"
    assert "Free is assumed" in d.plan_note.text()
    d.key.setText("sk-typed-123")
    d.accept()
    assert keys.info().source == "session" and keys.get() == "sk-typed-123"
    assert backends.active_kind() == MUSICGPT  # a key now exists and nothing was chosen
    assert not keys.file_path.exists()


def test_the_file_option_writes_a_private_file_and_settings_persist(
        qtbot, settings, keys, backends, workers):
    d = _dialog(qtbot, settings, keys, backends, workers)
    d.kind.setCurrentIndex(2)  # MusicGPT
    d.base_url.setText("https://api.example.test/api/public")
    d.plan.setCurrentIndex(d.plan.findData("plus"))
    d.key.setText("sk-file-456")
    d.to_file.setChecked(True)
    d.accept()
    assert keys.info().source == "file" and (keys.file_path.stat().st_mode & 0o777) == 0o600
    saved = backend_settings.load(settings)
    assert (saved.kind, saved.base_url, saved.plan) == (
        MUSICGPT, "https://api.example.test/api/public", "plus")
    assert "sk-file-456" not in settings.path.read_text()


def test_the_environment_key_is_named(qtbot, settings, keys, backends, workers, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "sk-env")
    d = _dialog(qtbot, settings, keys, backends, workers)
    assert "MUSICGPT_API_KEY" in d.key_status.text()


def test_connection_test_against_the_local_backend(qtbot, settings, keys, backends, workers):
    d = _dialog(qtbot, settings, keys, backends, workers)
    d.kind.setCurrentIndex(1)  # Local
    with qtbot.waitSignal(d.test_connection().finished, timeout=30000):
        pass
    assert d.test_result.text().startswith("✔") and "local backend is running" in \
        d.test_result.text()


def test_connection_test_reports_a_rejected_key(qtbot, settings, keys, backends, workers,
                                                tmp_path):
    with counting_server(tmp_path / "ext") as (srv, log):
        d = _dialog(qtbot, settings, keys, backends, workers)
        d.kind.setCurrentIndex(2)
        d.base_url.setText(srv.base_url)
        d.key.setText("not-the-key")
        with qtbot.waitSignal(d.test_connection().finished, timeout=30000):
            pass
        assert d.test_result.text().startswith("✖") and "rejected the API key" in \
            d.test_result.text()
        d.key.setText(KEY)
        with qtbot.waitSignal(d.test_connection().finished, timeout=30000):
            pass
        assert d.test_result.text().startswith("✔") and "key was accepted" in \
            d.test_result.text()
        assert ("GET", "/api/public/v1/") in log.counts


def test_jobs_of_one_account_share_one_client_and_its_status_check_pacing(keys, backends):
    # The plan's byId limit is per account: every running job must poll through one pacer.
    keys.set("sk-account-A")
    backends.settings = BackendSettings(kind=MUSICGPT, base_url="https://api.example.test/x",
                                        plan="free")
    first, second = backends.client(MUSICGPT), backends.client(MUSICGPT)
    assert first is second and first._pacer.gap >= 3.0  # free plan: 20 a minute
    keys.set("sk-account-B")
    other = backends.client(MUSICGPT)
    assert other is not first  # another account paces on its own
    local_a, local_b = backends.client(LOCAL), backends.client(LOCAL)
    assert local_a is local_b and local_a is not first
    backends.stop()
    assert backends.client(MUSICGPT) is not other  # closed on stop, made anew after


def test_the_job_form_warns_about_region_lengths_from_the_region_settings(
        qtbot, settings, workers, tmp_path):
    # One set of region warnings: what Settings say (3 s by default), in the form as on the
    # waveform. A 4-s region is fine; raising the threshold to 5 s makes the form warn.
    from tests.gui.conftest import install_all, load, make_window
    from tests.jobs.support import make_song

    song = make_song(tmp_path / "song.wav", seconds=20.0)
    window = make_window(settings, workers)
    qtbot.addWidget(window)
    backends = Backends(BackendSettings(kind=LOCAL), KeyStore(tmp_path / "k"),
                        server_dir=tmp_path / "server", server_engine="quick",
                        server_engine_pool=engine_pool())
    services, features = install_all(window, tmp_path, backends=backends,
                                     keys=KeyStore(tmp_path / "k"))
    feature = features.jobs
    try:
        load(qtbot, window, song)
        window.region.set(6.0, 10.0)
        feature.form.prompt.setPlainText("warm piano")

        def region_warnings():
            return [i for i in feature.form.issues if i.field == "replace_end_at"]

        qtbot.waitUntil(lambda: feature.form.context.region == (6.0, 10.0))
        assert region_warnings() == []
        settings.set("region/warn_shorter_than", 5.0)
        qtbot.waitUntil(lambda: bool(region_warnings()))
        assert "5 s" in region_warnings()[0].message
        assert region_warnings()[0].severity == "warning"
    finally:
        services.jobs.shutdown()
