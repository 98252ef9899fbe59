"""The names result files are saved under. Kept apart from `api.download` (which loads
`requests`) so that the job lifecycle can name files without loading the HTTP stack."""

from __future__ import annotations

import re

from inpaint_studio.api.errors import DownloadError

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def result_filename(conversion_id: str, suffix: str) -> str:
    """`<conversion_id><suffix>` after checking the id is a plain token (no path tricks)."""
    if not _SAFE_ID.match(conversion_id or ""):
        raise DownloadError(f"The server sent an unusable conversion id {conversion_id!r}.")
    if suffix not in (".mp3", ".wav", ".flac", ".jpg", ".png", ".mid"):
        raise DownloadError(f"Unexpected result type {suffix!r}.")
    return conversion_id + suffix
