"""PyInstaller runtime hook: let sounddevice find the PortAudio library bundled in the frozen
folder (packaging/inpaint-studio.spec copies the system's libportaudio.so.2 there when the build
machine has it). On Linux sounddevice asks `ctypes.util.find_library("portaudio")`, which only
searches the system; without this a machine lacking libportaudio2 would get no audio output.
When neither a bundled nor a system copy exists, sounddevice raises OSError and the app runs with
playback off (the player says so)."""

import ctypes.util
import os
import sys

_BUNDLED = os.path.join(getattr(sys, "_MEIPASS", ""), "libportaudio.so.2")
_system_find_library = ctypes.util.find_library


def _find_library(name: str):  # noqa: ANN202 - same signature as ctypes.util.find_library
    if name == "portaudio" and os.path.isfile(_BUNDLED):
        return _BUNDLED
    return _system_find_library(name)


ctypes.util.find_library = _find_library
