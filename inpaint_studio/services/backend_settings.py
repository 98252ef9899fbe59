"""The backend's settings (declared with every other key in `services.settings`) and their
conversion to and from `BackendSettings`. The API key is not a setting: see `keystore`."""

from __future__ import annotations

from inpaint_studio.api.plans import DEFAULT_BASE_URL
from inpaint_studio.backends.backend import DEFAULT_PLAN, LOCAL, MUSICGPT, BackendSettings
from inpaint_studio.services.settings import Settings


def load(settings: Settings) -> BackendSettings:
    kind = settings.get("backend/kind")
    return BackendSettings(kind=kind if kind in (LOCAL, MUSICGPT) else "",
                           base_url=settings.get("backend/base_url") or DEFAULT_BASE_URL,
                           plan=settings.get("backend/plan") or DEFAULT_PLAN)


def save(settings: Settings, value: BackendSettings) -> None:
    settings.set("backend/kind", value.kind)
    settings.set("backend/base_url", value.base_url)
    settings.set("backend/plan", value.plan)
