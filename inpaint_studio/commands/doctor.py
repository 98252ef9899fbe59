"""`inpaint-studio doctor`: check what the app needs from this machine and say how to fix what is
missing — ffmpeg, PortAudio and an output device, a keyring for the API key, writable folders,
and FluidSynth with a General MIDI SoundFont for the local session player.

Headless (no Qt), so it works over SSH and in the frozen build's smoke test. Exit 0 when the app
can run (warnings allowed), 1 when something it cannot work without is missing."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from inpaint_studio import identity, paths
from inpaint_studio.core.errors import FfmpegMissing
from inpaint_studio.core.ffmpeg import ffmpeg_path
from inpaint_studio.display import display_problem


@dataclass
class Check:
    name: str
    level: str  # "ok", "warn" (the app runs with less) or "fail" (the app cannot work)
    detail: str


def check_ffmpeg() -> Check:
    try:
        path = ffmpeg_path()
    except FfmpegMissing:
        return Check("ffmpeg", "fail", "not found: install ffmpeg (apt install ffmpeg), or "
                     "point INPAINT_STUDIO_FFMPEG at an ffmpeg binary")
    try:
        out = subprocess.run([path, "-hide_banner", "-version"], capture_output=True, text=True,
                             timeout=20)
        first = (out.stdout.splitlines() or ["?"])[0]
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("ffmpeg", "fail", f"{path} does not run: {exc}")
    return Check("ffmpeg", "ok", f"{path} ({first})")


def check_session_player() -> Check:
    """The local session player renders with the `fluidsynth` program and a GM SoundFont;
    without them only prompts that name instruments or a style fail (with the same advice)."""
    from inpaint_studio.player.render import (
        SoundFontMissing,
        SynthMissing,
        find_fluidsynth,
        find_soundfont,
    )

    try:
        synth, font = find_fluidsynth(), find_soundfont()
    except (SynthMissing, SoundFontMissing) as exc:
        return Check("session player", "warn", f"{exc} Without it, local jobs whose prompt "
                     "names instruments or a style fail; other prompts still fill the region "
                     "from the song's own material.")
    return Check("session player", "ok", f"{synth} with {font}")


def check_audio_output() -> Check:
    try:
        import sounddevice as sd
    except OSError:
        return Check("audio output", "warn", "the PortAudio library is missing, so playback is "
                     "off (everything else works): install libportaudio2 (Debian/Ubuntu) or "
                     "portaudio (Fedora/Arch)")
    version = sd.get_portaudio_version()[1]
    try:
        device = sd.query_devices(kind="output")
    except Exception as exc:  # noqa: BLE001 - PortAudioError when no output device exists
        return Check("audio output", "warn", f"{version}; no output device ({exc}): the app "
                     "runs with silent playback; check that PulseAudio/PipeWire is running")
    return Check("audio output", "ok", f"{version}; default output: {device['name']}")


def check_keyring() -> Check:
    if os.environ.get("MUSICGPT_API_KEY"):
        return Check("API key store", "ok", "MUSICGPT_API_KEY is set in the environment "
                     "(it overrides the keyring)")
    try:
        import keyring

        backend = keyring.get_keyring()
        priority = float(getattr(backend, "priority", 0))
    except Exception as exc:  # noqa: BLE001 - a broken keyring install must not stop the check
        return Check("API key store", "warn", f"the keyring failed to load ({exc})")
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if priority <= 0 or name.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return Check("API key store", "warn", f"no usable system keyring ({name}): a MusicGPT "
                     "key is kept for the session only unless you choose a 0600 file; or set "
                     "MUSICGPT_API_KEY. The local backend needs no key.")
    return Check("API key store", "ok", name)


def check_folder(name: str, locate: Callable[[], os.PathLike[str] | str]) -> Check:
    try:
        folder = locate()
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(name, "fail", f"not writable: {exc}")
    return Check(name, "ok", str(folder))


def check_display() -> Check:
    problem = display_problem()
    if problem is not None:
        return Check("display", "warn", f"{problem}: the editor cannot open its window; the "
                     "headless commands work")
    return Check("display", "ok", os.environ.get("WAYLAND_DISPLAY")
                 or os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") or "native")


def run_checks() -> list[Check]:
    return [
        check_ffmpeg(),
        check_session_player(),
        check_display(),
        check_audio_output(),
        check_keyring(),
        check_folder("settings folder", paths.config_dir),
        check_folder("data folder", paths.data_dir),
        check_folder("cache folder", paths.cache_dir),
        check_folder("log folder", paths.log_dir),
    ]


def run(args: argparse.Namespace) -> int:
    frozen = " (frozen build)" if getattr(sys, "frozen", False) else ""
    print(f"{identity.version_line()}{frozen}, Python {platform.python_version()} on "
          f"{platform.system()} {platform.machine()}")
    checks = run_checks()
    for check in checks:
        print(f"{check.level.upper():5} {check.name}: {check.detail}")
    failed = [c for c in checks if c.level == "fail"]
    if failed:
        print(f"{len(failed)} problem(s) stop the app from working; see above.", file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "doctor", help="check ffmpeg, FluidSynth, audio output, keyring and folders",
        description=__doc__.splitlines()[0].split(": ", 1)[1],
    )
    parser.set_defaults(func=run)
    return parser
