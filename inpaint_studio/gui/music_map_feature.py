"""The song's musical map in the window: tempo, metre and key in the status bar (with the
analysis' progress while it runs), bar and beat lines and the bars.beats ruler on the detail
view, the sections on the overview, bars.beats in the region fields, and View ▸ Ruler (bars and
beats / time) and View ▸ Snap (to bars / to beats / off). The map comes from the
`MusicMapService` (services/music_map.py), which app.py builds and hands in."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QLabel

from inpaint_studio.gui import theme
from inpaint_studio.gui.main_window import MainWindow
from inpaint_studio.services.music_map import MapReady, MusicMapService, has_grid
from inpaint_studio.services.settings import Settings

RULERS = (("bars", "&Bars and beats"), ("time", "&Time (m:ss)"))
SNAPS = (("bar", "Snap to &bars"), ("beat", "Snap to b&eats"), ("off", "Snap &off"))
STAGES = {"features": "listening", "beats": "finding the beat", "harmony": "finding the key",
          "bars": "finding the bars", "sections": "finding the sections", "decoding": "decoding",
          "starting": "starting", "done": "done", "cached": "done"}


class MusicMapFeature(QObject):
    """Shows the map `service` delivers in `window`; the ruler and snap choices are settings."""

    def __init__(self, window: MainWindow, service: MusicMapService, settings: Settings) -> None:
        super().__init__(window)
        self.window, self.service, self.settings = window, service, settings
        self.label = QLabel("")
        self.label.setStyleSheet(f"color: {theme.MUTED}; margin-left: 12px;")
        self.label.setToolTip("The song's tempo, time signature and key, found by listening")
        window.statusBar().addPermanentWidget(self.label)
        view = window.menu("View")
        view.addSeparator()
        self.ruler_actions = self._choice(view.addMenu("&Ruler"), RULERS, "view/ruler",
                                          self._apply_ruler)
        self.snap_actions = self._choice(view.addMenu("&Snap"), SNAPS, "view/snap",
                                         self._apply_snap)
        window.shortcuts.register("Ctrl+Shift+B", "Ruler in bars and beats or in time",
                                  self.toggle_ruler)
        service.started.connect(self._on_started)
        service.progressed.connect(self._on_progress)
        service.ready.connect(self._on_ready)
        service.cleared.connect(self._on_cleared)
        service.failed.connect(self._on_failed)
        self._apply_ruler(settings.get("view/ruler"))
        self._apply_snap(settings.get("view/snap"))

    def _choice(self, menu, options, key: str, apply) -> dict[str, QAction]:
        group = QActionGroup(menu)
        group.setExclusive(True)
        actions: dict[str, QAction] = {}
        current = self.settings.get(key)
        for value, text in options:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(value == current)
            group.addAction(action)
            action.triggered.connect(lambda _c=False, v=value, k=key, f=apply: (
                self.settings.set(k, v), f(v)))
            actions[value] = action
        return actions

    # -- choices -----------------------------------------------------------------------------
    def set_ruler(self, value: str) -> None:
        """"bars" or "time" (as View ▸ Ruler does)."""
        self.ruler_actions[value].trigger()

    def set_snap(self, value: str) -> None:
        """"bar", "beat" or "off" (as View ▸ Snap does)."""
        self.snap_actions[value].trigger()

    def toggle_ruler(self) -> None:
        self.set_ruler("time" if self.settings.get("view/ruler") == "bars" else "bars")

    def _apply_ruler(self, value: str) -> None:
        self.window.detail.ruler.set_show_bars(value == "bars")

    def _apply_snap(self, value: str) -> None:
        self.window.detail.snap_unit = None if value == "off" else value

    # -- the map -----------------------------------------------------------------------------
    def _on_started(self, _path: str) -> None:
        self.label.setText("Listening for the beat…")

    def _on_progress(self, fraction: float, stage: str) -> None:
        self.label.setText(f"Listening: {STAGES.get(stage, stage)} {int(fraction * 100)} %")

    def _on_ready(self, result: MapReady) -> None:
        m = result.map
        self.window.detail.set_music_map(m)
        self.window.overview.set_sections(m.sections)
        self.window.region_fields.set_music_map(m)
        parts = []
        if has_grid(m) and m.tempo_bpm:
            parts += [f"{m.tempo_bpm:.0f} BPM", m.time_signature or ""]
        else:
            parts.append("no steady beat")
        if m.key:
            parts.append(m.key)
        self.label.setText("  ·  ".join(p for p in parts if p))
        self.label.setToolTip(
            f"Tempo {m.tempo_bpm or '–'} BPM (beat confidence {m.beat_confidence:.2f}), "
            f"{m.time_signature or 'no metre'}, key {m.key or '–'} "
            f"(confidence {m.key_confidence:.2f}), {len(m.downbeats)} bars, "
            f"{len(m.sections)} sections" + (" — from the cache" if result.cached else ""))

    def _on_cleared(self) -> None:
        self.window.detail.set_music_map(None)
        self.window.overview.set_sections([])
        self.window.region_fields.set_music_map(None)
        self.label.setText("")

    def _on_failed(self, message: str) -> None:
        self.label.setText("No musical map")
        self.label.setToolTip(f"The song could not be analysed: {message}")
