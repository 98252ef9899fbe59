"""The app's identity: the one place that names it.

QSettings (organisation/application), the About box, `--version`, the frozen build
(packaging/inpaint-studio.spec) and the desktop files in resources/ (generated from this module by
packaging/make_assets.py and checked against it by tests/packaging) all read these constants.
No imports beyond the standard library, so a build script can read it without the app's
dependencies."""

NAME = "Inpaint Studio"
APP_ID = "io.github.inpaintstudio.InpaintStudio"  # reverse-DNS: desktop file, metainfo, icon name
EXECUTABLE = "inpaint-studio"
ORGANISATION = "Inpaint Studio"
ORGANISATION_DOMAIN = "inpaintstudio.github.io"
VERSION = "0.1.0"
RELEASE_DATE = "2026-11-25"  # of VERSION; the metainfo's <release>
SUMMARY = "Replace one section of a song with AI and keep the best version"
DESCRIPTION = (
    "Inpaint Studio is an editor for musicians who want to replace one section of a song. "
    "Open a song, drag across the part you want redone, describe the replacement and send it to "
    "MusicGPT, or fill it offline with the built-in local engine, which reuses material from "
    "the song itself. The versions come back as lanes under the original; switch between them at "
    "one playhead, loop the region with pre-roll, and keep the best one. It is spliced in with "
    "short crossfades, so everything outside the region stays bit-identical to the source."
)
FEATURES = (
    "Waveform overview and zoomable detail view with a draggable region",
    "MusicGPT inpainting, or a local engine that works offline with no key",
    "Jobs that survive a restart: polling and downloads resume",
    "A/B/C comparison of the versions at one playhead, without clicks",
    "Export to WAV, FLAC or MP3; the source file is never written",
)
LICENSE = "MIT"
METADATA_LICENSE = "CC0-1.0"  # AppStream requires a permissive licence for the metainfo itself
DEVELOPER = "Inpaint Studio developers"
DEVELOPER_ID = "io.github.inpaintstudio"
HOMEPAGE = "https://github.com/inpaintstudio/inpaint-studio"
BUGTRACKER = HOMEPAGE + "/issues"
# Raw files of the repository: where the metainfo's screenshots are fetched from by software
# centres (docs/screenshots/*.png, made by packaging/screenshots.py).
SCREENSHOT_BASE = "https://raw.githubusercontent.com/inpaintstudio/inpaint-studio/main/docs/screenshots"
CATEGORIES = ("AudioVideo", "Audio", "AudioVideoEditing")
KEYWORDS = ("audio", "music", "song", "inpainting", "editor", "AI", "MusicGPT", "waveform")
# A project (`.inpaint`, JSON) has a type of its own, declared to the desktop by
# resources/<APP_ID>.mime.xml (shared-mime-info), so a file manager opens it with the app.
PROJECT_MIME_TYPE = "application/x-inpaint-studio-project"
PROJECT_SUFFIX = ".inpaint"
MIME_TYPES = (
    PROJECT_MIME_TYPE,
    "audio/mpeg",
    "audio/x-wav",
    "audio/flac",
    "audio/ogg",
    "audio/mp4",
)
COPYRIGHT = "© 2026 Inpaint Studio developers"


def version_line() -> str:
    """What `inpaint-studio --version` prints."""
    return f"{EXECUTABLE} {VERSION}"
