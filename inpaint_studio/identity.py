"""The app's identity: one place that names it, for QSettings, the desktop file, the About box
and the frozen build."""

NAME = "Inpaint Studio"
APP_ID = "io.github.inpaintstudio.InpaintStudio"
EXECUTABLE = "inpaint-studio"
ORGANISATION = "Inpaint Studio"
ORGANISATION_DOMAIN = "inpaintstudio.github.io"
VERSION = "0.1.0"
SUMMARY = "Replace one section of a song with AI and keep the best take"
