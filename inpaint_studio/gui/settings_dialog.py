"""Settings ▸ Backend: local or MusicGPT (address, plan, API key), with a connection test.

The key goes to the system keyring; without one the dialog says so and keeps the key for this
session only, unless the user ticks the 0600 file option. `MUSICGPT_API_KEY` overrides any
stored key, and the dialog says when it does. The connection test runs in a worker."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inpaint_studio.backends.backend import (
    LOCAL,
    MUSICGPT,
    PLAN_NAMES,
    Backends,
    BackendSettings,
)
from inpaint_studio.backends.keystore import KeyStore
from inpaint_studio.services import backend_settings
from inpaint_studio.services.settings import Settings
from inpaint_studio.services.worker import Worker, WorkerPool

PLAN_LABELS = {"free": "Free (pay as you go)", "plus": "Plus", "pro": "Pro"}
KINDS = [("", "Automatic: local until a MusicGPT key is set"), (LOCAL, "Local (this computer)"),
         (MUSICGPT, "MusicGPT")]


class SettingsDialog(QDialog):
    """Edits the backend settings and the key; `saved` after OK stored them."""

    saved = Signal()

    def __init__(self, settings: Settings, keys: KeyStore, backends: Backends,
                 workers: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings — Backend")
        self.settings = settings
        self.keys = keys
        self.backends = backends
        self.workers = workers
        current = backend_settings.load(settings)

        self.kind = QComboBox()
        for value, text in KINDS:
            self.kind.addItem(text, value)
        self.kind.setCurrentIndex([k for k, _ in KINDS].index(current.kind))
        self.base_url = QLineEdit(current.base_url)
        self.plan = QComboBox()
        for name in PLAN_NAMES:
            self.plan.addItem(PLAN_LABELS.get(name, name.capitalize()), name)
        self.plan.setCurrentIndex(max(0, self.plan.findData(current.plan)))
        self.plan_note = QLabel("Choose your MusicGPT account's plan: it sets how often jobs are "
                                "checked and the price shown before sending. Until you do, Free "
                                "is assumed (the slowest checks, the highest price).")
        self.plan_note.setWordWrap(True)
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_key = QCheckBox("Show")
        self.show_key.toggled.connect(lambda on: self.key.setEchoMode(
            QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password))
        self.clear_key = QCheckBox("Forget the stored key")
        self.key_status = QLabel()
        self.key_status.setWordWrap(True)
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setStyleSheet("color: #ffb74d;")
        self.to_file = QCheckBox("Keep the key in a file only I can read (0600)")
        self.to_file.setChecked(settings.get("backend/key_in_file"))
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Backend", self.kind)
        form.addRow("MusicGPT address", self.base_url)
        form.addRow("Plan", self.plan)
        form.addRow("", self.plan_note)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.show_key)
        form.addRow("API key", key_row)
        form.addRow("", self.clear_key)
        form.addRow("", self.key_status)
        form.addRow("", self.keyring_note)
        form.addRow("", self.to_file)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        layout.addLayout(test_row)
        layout.addWidget(buttons)
        self.kind.currentIndexChanged.connect(self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        self.keys.refresh()  # the dialog reads the keyring anyway: renew the cached answer
        info = self.keys.info()
        has_key = bool(info.source)
        self.key_status.setText(f"Current key: {info.describe()}." if has_key else
                                "No key set: paste your MusicGPT API key to use MusicGPT.")
        self.key.setPlaceholderText("Leave empty to keep the current key" if has_key
                                    else "No key set — paste your MusicGPT API key here")
        self.clear_key.setVisible(has_key)
        ok = self.keys.keyring_ok
        self.keyring_note.setVisible(not ok)
        self.keyring_note.setText(
            f"{self.keys.keyring_problem} A key entered here is kept for this session only, "
            "unless you tick the option below.")
        self.to_file.setVisible(not ok)
        local = self.kind.currentData() == LOCAL
        for w in (self.base_url, self.plan, self.key):
            w.setEnabled(not local)

    def chosen(self) -> BackendSettings:
        return BackendSettings(kind=self.kind.currentData(), base_url=self.base_url.text().strip(),
                               plan=str(self.plan.currentData()))

    def _kind_to_test(self) -> str:
        kind = self.kind.currentData()
        if kind:
            return kind
        return MUSICGPT if (self.key.text().strip() or self.keys.get()) else LOCAL

    # -- test ----------------------------------------------------------------------------------
    def test_connection(self) -> Worker:
        """Check the key with GET /v1/ in a worker; the answer appears beside the button."""
        kind = self._kind_to_test()
        backends = self.backends
        if kind == LOCAL:
            def test() -> str:
                return backends.test_connection(LOCAL)
        else:
            chosen, key = self.chosen(), self.key.text().strip() or self.keys.get()

            def test() -> str:
                return backends.test_musicgpt(chosen, key)
        self.test_button.setEnabled(False)
        self.test_result.setText("Testing…")
        worker = self.workers.run(lambda ctx: test(), name="test connection")
        worker.returned.connect(lambda text: self._tested(True, text))
        worker.errored.connect(lambda exc: self._tested(False, getattr(exc, "user_message", None)
                                                        or str(exc)))
        worker.finished.connect(lambda: self.test_button.setEnabled(True))
        return worker

    def _tested(self, ok: bool, text: str) -> None:
        self.test_result.setStyleSheet("color: #81c784;" if ok else "color: #e57373;")
        self.test_result.setText(("✔ " if ok else "✖ ") + text)

    # -- save ----------------------------------------------------------------------------------
    def accept(self) -> None:
        chosen = self.chosen()
        backend_settings.save(self.settings, chosen)
        self.settings.set("backend/key_in_file", self.to_file.isChecked())
        if self.clear_key.isChecked():
            self.keys.clear()
        typed = self.key.text().strip()
        if typed:
            self.keys.set(typed, to_file=self.to_file.isChecked() and not self.keys.keyring_ok)
        self.backends.settings = chosen
        self.saved.emit()
        super().accept()
