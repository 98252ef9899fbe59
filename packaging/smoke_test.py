"""Smoke test of the frozen build (dist/inpaint-studio/), in the spirit of Friture's
scripts/smoke_test.py: start the packaged app the way a user's machine would, with a minimal
environment (no Python packages, no virtualenv, PATH=/usr/bin:/bin, offscreen Qt, a private
INPAINT_STUDIO_HOME), and fail on import errors, missing Qt plugins or any traceback.

    python3 packaging/smoke_test.py [dist/inpaint-studio] [--quick]

Checks, each a separate run of the executable:
  --version; `doctor` with an empty PATH (so ffmpeg must be the bundled one); `doctor` with the
  system's libportaudio hidden (root only: the bundled one must load); `--help` of every
  headless command; `--screenshot` of a synthesised song with --region 30 40 (with the system's
  PATH, then with an empty PATH); `--screenshot` of the welcome view; the real window on a private
  Xvfb display (xcb plugin), where Xvfb is installed; and, unless --quick, the
  engine headless (`inpaint SONG ... --out DIR`) and a whole local job (`submit SONG --backend
  local --out DIR`: local server, engine process, HTTP upload, download, alignment), with the
  versions checked to be full-length WAVs.
The song comes from inpaint_studio/core/synth.py when the running Python can import it (the build
venv can), else a stdlib-made chord. Exit 0 when every check passed."""

from __future__ import annotations

import argparse
import ast
import math
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BAD_STDERR = re.compile(
    r"Traceback \(most recent call last\)|ModuleNotFoundError|ImportError|"
    r"Could not load the Qt platform plugin|qt\.qpa\.plugin|Failed to execute script|"
    r"\[PYI-\d+:ERROR\]|cannot open shared object file|symbol lookup error"
)
SONG_SECONDS = 50.0


def identity_version_line() -> str:
    """`inpaint-studio X.Y.Z` as identity.py says (read without importing the package)."""
    text = (ROOT / "inpaint_studio" / "identity.py").read_text(encoding="utf-8")
    values = dict(re.findall(r'^(EXECUTABLE|VERSION) = "([^"]+)"', text, re.M))
    return f"{values['EXECUTABLE']} {values['VERSION']}"


def registered_commands() -> list[str]:
    """The headless commands in inpaint_studio/cli.py's COMMANDS."""
    tree = ast.parse((ROOT / "inpaint_studio" / "cli.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(target, ast.Name) and target.id == "COMMANDS" and node.value is not None:
            return list(ast.literal_eval(node.value))
    raise SystemExit("smoke_test: no COMMANDS in inpaint_studio/cli.py")


def write_song(path: Path) -> str:
    """A 16-bit stereo WAV of SONG_SECONDS; returns what made it."""
    rate = 44100
    try:
        sys.path.insert(0, str(ROOT))
        import numpy as np

        from inpaint_studio.core.synth import synth_song

        samples = synth_song(SONG_SECONDS, bpm=112.0, seed=3, sample_rate=rate).samples
        frames = (np.clip(samples.T, -1, 1) * 32767).astype("<i2").tobytes()
        source = "core/synth.py"
    except ImportError:
        # A chord that changes every 2 s: enough structure for the waveform and the engine.
        out = bytearray()
        for i in range(int(SONG_SECONDS * rate)):
            t = i / rate
            root = (220.0, 246.9, 196.0, 174.6)[int(t / 2) % 4]
            v = sum(math.sin(2 * math.pi * root * r * t) for r in (1, 1.26, 1.5)) * 0.2
            v *= 0.6 + 0.4 * math.sin(2 * math.pi * 2 * t) ** 2
            s = int(max(-1.0, min(1.0, v)) * 32767)
            out += struct.pack("<hh", s, s)
        frames = bytes(out)
        source = "a stdlib chord (core/synth.py not importable)"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return source


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError(f"{path} is not a PNG")
    return struct.unpack(">II", data[16:24])


def check_takes(s: Smoke, name: str, takes: list[Path]) -> None:
    """Two full-length WAV versions."""
    s.check(f"{name} versions", len(takes) == 2, f"got {[t.name for t in takes]}")
    for take in takes:
        with wave.open(str(take)) as w:
            seconds = w.getnframes() / w.getframerate()
        s.check(f"{name} {take.name} length", abs(seconds - SONG_SECONDS) < 0.05,
                f"{seconds:.3f} s, the song is {SONG_SECONDS} s")


class Smoke:
    def __init__(self, exe: Path, work: Path) -> None:
        self.exe = exe
        self.work = work
        self.home = work / "home"
        self.empty_bin = work / "empty-bin"
        self.empty_bin.mkdir()
        self.failures: list[str] = []

    def env(self, path: str = "/usr/bin:/bin") -> dict[str, str]:
        # What a desktop session would give the app, minus everything Python-related.
        return {"PATH": path, "QT_QPA_PLATFORM": "offscreen", "INPAINT_STUDIO_HOME": str(self.home),
                "LC_ALL": "C.UTF-8", "HOME": str(self.work)}

    def run(self, name: str, args: list[str], *, path: str = "/usr/bin:/bin",
            timeout: float = 120) -> subprocess.CompletedProcess[str] | None:
        start = time.monotonic()
        try:
            proc = subprocess.run([str(self.exe), *args], env=self.env(path), cwd=self.work,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail(name, f"no answer after {timeout:.0f} s")
            return None
        took = time.monotonic() - start
        bad = BAD_STDERR.search(proc.stderr)
        if proc.returncode != 0 or bad:
            why = f"exit {proc.returncode}" + (f", stderr has {bad.group(0)!r}" if bad else "")
            self.fail(name, f"{why}\n--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n"
                      f"{proc.stderr[-4000:]}")
            return None
        print(f"ok   {name} ({took:.1f} s)")
        return proc

    def fail(self, name: str, message: str) -> None:
        self.failures.append(name)
        print(f"FAIL {name}: {message}")

    def check(self, name: str, condition: bool, message: str) -> None:
        if not condition:
            self.fail(name, message)


def window_on_xvfb(s: Smoke, song: Path) -> None:
    """Start the app normally (the xcb platform plugin, as on an X11 desktop) on a private Xvfb
    display with SONG, wait for its window to appear, and check it is still running and quiet.
    Skipped, with a line saying so, where Xvfb is not installed."""
    name = "window on X11 (Xvfb, xcb plugin)"
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        print(f"skip {name}: no Xvfb (apt install xvfb)")
        return
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24",
                               "-nolisten", "tcp"], pass_fds=(write_fd,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    app = None
    try:
        if not select.select([read_fd], [], [], 15)[0]:
            s.fail(name, "Xvfb did not start")
            return
        display = ":" + os.read(read_fd, 64).decode().strip()
        env = dict(s.env(), DISPLAY=display, QT_QPA_PLATFORM="xcb")
        app = subprocess.Popen([str(s.exe), str(song)], env=env, cwd=s.work, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        found = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and app.poll() is None and not found:
            time.sleep(0.5)
            tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True,
                                  text=True).stdout if shutil.which("xwininfo") else ""
            # The main window: titled after the song, WM_CLASS as the .desktop's StartupWMClass
            found = next((ln.strip() for ln in tree.splitlines()
                          if f'{song.name} — Inpaint Studio": ("inpaint-studio"' in ln), "")
            if not shutil.which("xwininfo") and time.monotonic() > deadline - 24:
                found = "(no xwininfo: the app kept running for 6 s)"
        # Playback runs in its own process (multiprocessing spawn of the frozen executable,
        # which needs the launcher's freeze_support): the log says whether it came up. It is
        # started after the window is first drawn, so give it time to come up before quitting.
        log = s.home / "logs" / "inpaint-studio.log"
        text = ""
        deadline = time.monotonic() + 30
        while found and app.poll() is None and time.monotonic() < deadline:
            text = log.read_text(errors="replace") if log.exists() else ""
            if "audio process started" in text or "could not be started" in text:
                break
            time.sleep(0.5)
        running = app.poll() is None
        app.terminate()
        _, err = app.communicate(timeout=15)
        bad = BAD_STDERR.search(err)
        text = log.read_text(errors="replace") if log.exists() else ""
        if "audio process started" not in text or "could not be started" in text:
            s.fail(name, f"the audio process did not start; log:\n{text[-3000:]}")
        elif not running or not found or bad:
            s.fail(name, f"running={running} window={found!r}\n--- stderr\n{err[-3000:]}")
        else:
            print(f"ok   {name}: {found[:90]}")
    finally:
        if app is not None and app.poll() is None:
            app.kill()
            app.wait()
        os.close(read_fd)
        server.terminate()
        server.wait(timeout=10)


def bundled_portaudio_without_the_system_one(s: Smoke) -> None:
    """Hide the system's libportaudio (a private mount namespace, root only) and check that the
    frozen app still finds its bundled copy. Skipped, saying so, where that cannot be arranged."""
    name = "bundled PortAudio with the system's hidden"
    bundled = s.exe.parent / "_internal" / "libportaudio.so.2"
    system = Path("/usr/lib/x86_64-linux-gnu/libportaudio.so.2")
    if not bundled.exists() or not system.exists() or os.geteuid() != 0 \
            or shutil.which("unshare") is None:
        print(f"skip {name}: needs root, unshare, and both copies")
        return
    script = (f"mount --bind /dev/null {system.resolve()} || exit 99; "
              f"exec {s.exe} doctor")
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], env=s.env(), cwd=s.work,
                          capture_output=True, text=True, timeout=120)
    if proc.returncode == 99:
        print(f"skip {name}: no mount namespace here")
        return
    audio = next((ln for ln in proc.stdout.splitlines() if " audio output:" in ln), "")
    if proc.returncode != 0 or "library is missing" in audio or not audio:
        s.fail(name, f"exit {proc.returncode}: {audio!r}\n{proc.stderr[-2000:]}")
    else:
        print(f"ok   {name}: {audio.strip()[:80]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke-test the frozen Inpaint Studio.")
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "dist" / "inpaint-studio")
    parser.add_argument("--quick", action="store_true", help="skip the whole local job")
    args = parser.parse_args(argv)
    exe = args.folder.resolve() / "inpaint-studio"
    if not exe.is_file():
        print(f"smoke_test: {exe} not found; run packaging/build first", file=sys.stderr)
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="inpaint-smoke-") as tmp:
        s = Smoke(exe, Path(tmp))
        song = s.work / "song.wav"
        print(f"song: {SONG_SECONDS:.0f} s from {write_song(song)}")

        proc = s.run("--version", ["--version"])
        if proc:
            s.check("--version", proc.stdout.strip() == identity_version_line(),
                    f"printed {proc.stdout.strip()!r}, identity says {identity_version_line()!r}")

        proc = s.run("doctor (no ffmpeg on PATH)", ["doctor"], path=str(s.empty_bin))
        if proc:
            ffmpeg = next((ln for ln in proc.stdout.splitlines() if " ffmpeg:" in ln), "")
            s.check("bundled ffmpeg", ffmpeg.startswith("OK") and str(args.folder.resolve())
                    in ffmpeg, f"doctor said {ffmpeg!r}")
            audio = next((ln for ln in proc.stdout.splitlines() if " audio output:" in ln), "")
            bundled = (args.folder / "_internal" / "libportaudio.so.2").exists()
            s.check("PortAudio", not bundled or "library is missing" not in audio,
                    f"libportaudio.so.2 is bundled but doctor said {audio!r}")
            print(f"     {audio.strip()}")

        bundled_portaudio_without_the_system_one(s)

        for command in registered_commands():
            s.run(f"{command} --help", [command, "--help"])

        for label, path in (("system PATH", "/usr/bin:/bin"), ("empty PATH", str(s.empty_bin))):
            out = s.work / f"waveform-{len(label)}.png"
            name = f"--screenshot SONG --region 30 40 ({label})"
            if s.run(name, ["--screenshot", str(out), str(song), "--region", "30", "40"],
                     path=path):
                s.check(name, out.is_file() and png_size(out) == (1600, 900)
                        and out.stat().st_size > 20_000, f"{out} missing, wrong size or blank")

        out = s.work / "welcome.png"
        if s.run("--screenshot (welcome)", ["--screenshot", str(out)]):
            s.check("--screenshot (welcome)", out.is_file() and out.stat().st_size > 10_000,
                    "no welcome picture")

        window_on_xvfb(s, song)

        if not args.quick and "inpaint" in registered_commands():
            takes_dir = s.work / "engine"
            if s.run("inpaint SONG --start 30 --end 40 --out DIR (the local engine)",
                     ["inpaint", str(song), "--start", "30", "--end", "40", "--out",
                      str(takes_dir), "-q"], timeout=300):
                check_takes(s, "inpaint", sorted(takes_dir.glob("version_*.wav")))
                s.check("inpaint result.json", (takes_dir / "result.json").is_file(),
                        "no result.json")

        if not args.quick and "submit" in registered_commands():
            versions = s.work / "versions"
            proc = s.run("submit SONG --backend local --out DIR (a whole local job)",
                         ["submit", str(song), "--start", "30", "--end", "40", "--prompt",
                          "a short drum fill", "--backend", "local", "--out", str(versions), "-q"],
                         timeout=300)
            if proc:
                check_takes(s, "local job", sorted(versions.glob("*.wav")))

    total = time.monotonic() - started
    if s.failures:
        print(f"smoke test FAILED ({len(s.failures)}): {', '.join(s.failures)}  [{total:.0f} s]")
        return 1
    print(f"smoke test passed  [{total:.0f} s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
