"""The transport bar of the compare feature: play/pause, stop, loop with its pre-/post-roll,
the seams, which version is heard (Original / Version 1 / Version 2), loudness matching, the
blind test, and the output: its level meter, volume and device. A view only: it emits what
the musician asked for and shows what it is told."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QWidget,
)

from inpaint_studio.core.timefmt import format_time
from inpaint_studio.gui import theme
from inpaint_studio.gui.flow_layout import FlowLayout, fit_height
from inpaint_studio.gui.level_meter import LevelMeter

SOURCE_KEYS = ("original", "v1", "v2")
SOURCE_LABELS = ("Original", "Version 1", "Version 2")  # what the keys 1/2/3 hear
DEFAULT_DEVICE = "Default output"  # the device list's first entry: the sound server's choice


class TransportBar(QWidget):
    """Buttons and read-outs of one transport; see the module doc."""

    play_clicked = Signal()
    stop_clicked = Signal()
    loop_toggled = Signal(bool)
    rolls_changed = Signal(float, float)
    seam_clicked = Signal(str)  # "left" | "right"
    source_clicked = Signal(int)  # 0 = Original, 1 = first version, 2 = second version
    loudness_toggled = Signal(bool)
    blind_toggled = Signal(bool)
    pick_clicked = Signal()
    volume_changed = Signal(int)  # percent, 0…100
    device_chosen = Signal(str)  # a device's name; "" = the default

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.play_clicked.emit)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop and go back to where playing started")
        self.stop_button.clicked.connect(self.stop_clicked.emit)
        self.loop_button = QPushButton("Loop region")
        self.loop_button.setCheckable(True)
        self.loop_button.setToolTip("Loop the region with its pre-roll and post-roll (L)")
        self.loop_button.toggled.connect(self.loop_toggled.emit)
        self.pre_roll = self._roll_box("Pre-roll before the region")
        self.post_roll = self._roll_box("Post-roll after the region")
        self.left_seam = QPushButton("◀ Left seam")
        self.left_seam.setToolTip("Play 2 s either side of the region's start ([)")
        self.left_seam.clicked.connect(lambda: self.seam_clicked.emit("left"))
        self.right_seam = QPushButton("Right seam ▶")
        self.right_seam.setToolTip("Play 2 s either side of the region's end (])")
        self.right_seam.clicked.connect(lambda: self.seam_clicked.emit("right"))
        self.time_label = QLabel(format_time(0.0))
        self.time_label.setMinimumWidth(90)

        self.source_group = QButtonGroup(self)
        self.source_group.setExclusive(True)
        self.source_buttons: list[QPushButton] = []
        for i, label in enumerate(SOURCE_LABELS):
            button = QPushButton(f"{i + 1}  {label}")
            button.setCheckable(True)
            button.setToolTip(f"Hear this at the same playhead (key {i + 1})")
            self.source_group.addButton(button, i)
            self.source_buttons.append(button)
        self.source_group.idClicked.connect(self.source_clicked.emit)
        self.hearing_label = QLabel("Hearing: —")
        self.hearing_label.setStyleSheet("font-weight: bold;")
        # Room for the usual names from the start: a longer name arriving later (the sources
        # load in the background) would widen the bar and move the waveform under the mouse.
        bold = QFont(self.hearing_label.font())
        bold.setBold(True)
        self.hearing_label.setMinimumWidth(
            QFontMetrics(bold).horizontalAdvance("Hearing: Version 2") + 4)
        self.loudness_box = QCheckBox("Match loudness")
        self.loudness_box.setToolTip("Play each version at the original's loudness over the region "
                                     "and its context (ITU-R BS.1770), so louder does not win (M)")
        self.loudness_box.toggled.connect(self.loudness_toggled.emit)
        self.gain_label = QLabel("")
        self.gain_label.setStyleSheet(f"color: {theme.MUTED};")
        self.blind_box = QCheckBox("Blind")
        self.blind_box.setToolTip("Hide which version is which until you pick one (B)")
        self.blind_box.toggled.connect(self.blind_toggled.emit)
        self.pick_button = QPushButton("Pick this version and reveal")
        self.pick_button.setVisible(False)
        self.pick_button.clicked.connect(self.pick_clicked.emit)
        self.meter = LevelMeter()
        self.volume_slider = QSlider(Qt.Orientation.Horizontal)
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(100)
        self.volume_slider.setFixedWidth(90)
        self.volume_slider.setToolTip("Output volume: 100%")
        self.volume_slider.setAccessibleName("Volume")
        self.volume_slider.valueChanged.connect(self._on_volume)
        self.device_box = QComboBox()
        self.device_box.addItem(DEFAULT_DEVICE, "")
        self.device_box.setToolTip("Where playback is heard: the sound server's output devices")
        self.device_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device_box.setMinimumContentsLength(14)
        self.device_box.currentIndexChanged.connect(
            lambda i: self.device_chosen.emit(str(self.device_box.itemData(i) or "")))
        self.output_label = QLabel("")
        # The output line never widens the bar: it is cut where room ends (full text in its
        # tooltip).
        self.output_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Preferred)

        # Groups of controls that belong together, laid out in rows that wrap where the width
        # ends (two rows on a wide screen, more on a narrow one), each group kept whole.
        groups = (
            (self.play_button, self.stop_button, self.time_label),
            (self.loop_button, QLabel("pre"), self.pre_roll, QLabel("post"), self.post_roll),
            (self.left_seam, self.right_seam),
            None,  # the output line: the rest of the first row(s)
            (*self.source_buttons, self.hearing_label),
            (self.loudness_box, self.gain_label, self.blind_box, self.pick_button),
            (self.meter, QLabel("Vol"), self.volume_slider, self.device_box),
        )
        layout = FlowLayout(self, spacing=6)
        layout.setContentsMargins(4, 0, 4, 2)
        for group in groups:
            if group is None:
                layout.add_filler(self.output_label)
                continue
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            for w in group:
                row.addWidget(w)
            layout.addWidget(box)
        # What is on (the version heard, the loop) must read at a glance; Fusion's sunken look
        # for a checked button barely shows on the dark palette.
        self.setStyleSheet(f"QPushButton:checked {{ background: {theme.CHECKED}; "
                           "color: white; border: 1px solid #5a9bd4; border-radius: 2px; "
                           "padding: 3px 8px; }")
        # A slim bar: as tall as its rows, never taller (the dock does not stretch it).
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(layout.heightForWidth(layout.sizeHint().width()))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        fit_height(self)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # a text changed: maybe another row
            fit_height(self)
        return handled

    def _roll_box(self, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, 10.0)
        box.setSingleStep(0.5)
        box.setDecimals(1)
        box.setSuffix(" s")
        box.setValue(2.0)
        box.setToolTip(tip)
        box.valueChanged.connect(
            lambda _v: self.rolls_changed.emit(self.pre_roll.value(), self.post_roll.value()))
        return box

    def _on_volume(self, percent: int) -> None:
        self.volume_slider.setToolTip(f"Output volume: {percent}%")
        self.volume_changed.emit(percent)

    # -- shown state ---------------------------------------------------------------------------
    def show_levels(self, levels: object | None) -> None:
        """The player's `Levels` now, or None when nothing plays."""
        self.meter.show_levels(levels)

    def show_volume(self, percent: int) -> None:
        self.volume_slider.blockSignals(True)
        self.volume_slider.setValue(int(percent))
        self.volume_slider.blockSignals(False)
        self.volume_slider.setToolTip(f"Output volume: {int(percent)}%")

    def show_devices(self, names: list[str], current: str) -> None:
        """Offer the default and `names`; `current` ("" = default) selected (a remembered
        device that is not there now stays listed, marked as missing)."""
        box = self.device_box
        box.blockSignals(True)
        box.clear()
        box.addItem(DEFAULT_DEVICE, "")
        for name in names:
            box.addItem(name, name)
        if current and current not in names:
            box.addItem(f"{current} (not found)", current)
        box.setCurrentIndex(max(0, box.findData(current)))
        box.blockSignals(False)

    def show_playing(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")

    def show_position(self, seconds: float) -> None:
        self.time_label.setText(format_time(seconds))

    def show_loop(self, on: bool) -> None:
        if self.loop_button.isChecked() != on:
            self.loop_button.blockSignals(True)
            self.loop_button.setChecked(on)
            self.loop_button.blockSignals(False)

    def show_sources(self, labels: list[str | None]) -> None:
        """Label the three source buttons; None disables one (no such version loaded)."""
        for i, (button, label) in enumerate(zip(self.source_buttons, labels, strict=True)):
            button.setEnabled(label is not None)
            button.setText(f"{i + 1}  {label or SOURCE_LABELS[i]}")

    def set_song_open(self, open_: bool) -> None:
        """With no song there is nothing to play, loop or match: those controls are off."""
        for w in (self.play_button, self.stop_button, self.loop_button, self.pre_roll,
                  self.post_roll, self.left_seam, self.right_seam, self.loudness_box,
                  self.blind_box):
            w.setEnabled(open_)
        if not open_:
            self.hearing_label.setText("Hearing: —")
            self.show_position(0.0)

    def show_hearing(self, index: int | None, label: str) -> None:
        if index is not None:
            self.source_buttons[index].setChecked(True)
        self.hearing_label.setText(f"Hearing: {label}")

    def show_output(self, text: str, problem: bool) -> None:
        self.output_label.setText(text)
        self.output_label.setToolTip(text)
        colour = "#e57373" if problem else theme.MUTED
        self.output_label.setStyleSheet(f"color: {colour};")
