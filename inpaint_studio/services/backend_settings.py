"""The backend's settings, declared in the typed registry (`services.settings`), and their
conversion to and from `BackendSettings`. The API key is not a setting: see `keystore`."""

from __future__ import annotations

from inpaint_studio.api.client import DEFAULT_BASE_URL
from inpaint_studio.backends.backend import LOCAL, MUSICGPT, BackendSettings
from inpaint_studio.services.settings import Settings, declare

declare("backend/kind", str, "", "Where jobs go: 'local', 'musicgpt', or '' (local until a key "
        "is set, then MusicGPT).")
declare("backend/base_url", str, DEFAULT_BASE_URL, "The MusicGPT API address.")
declare("backend/plan", str, "pro", "The MusicGPT plan (free, plus, pro): pacing and prices.")
declare("backend/key_in_file", bool, False, "Keep the API key in a 0600 file when no system "
        "keyring works.")


def load(settings: Settings) -> BackendSettings:
    kind = settings.get("backend/kind")
    return BackendSettings(kind=kind if kind in (LOCAL, MUSICGPT) else "",
                           base_url=settings.get("backend/base_url") or DEFAULT_BASE_URL,
                           plan=settings.get("backend/plan") or "pro")


def save(settings: Settings, value: BackendSettings) -> None:
    settings.set("backend/kind", value.kind)
    settings.set("backend/base_url", value.base_url)
    settings.set("backend/plan", value.plan)
