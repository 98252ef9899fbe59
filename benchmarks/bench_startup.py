"""What the user waits for, from launch: a fresh process until its window is drawn (no song), and
until the complete waveform of a 10- and a 60-minute 192 kb/s MP3 is drawn, each as a ratio to
floors measured in the same run: a bare PySide6 window grabbed; one ffmpeg decoding the file to
/dev/null; and, for the record, the two-core floor (two ffmpeg on the two halves at once). The
song is opened as `inpaint-studio SONG` opens it (`app.Launch`): the window's shell is drawn, the
song's decode starts at that paint and the editor is built meanwhile. The share from the drawn
shell to the drawn waveform (the decode, with the editor's build beside it) is also compared
with the same launch decoding as one stream (`INPAINT_STUDIO_DECODE_PARTS=1`).

The long files are real music where the machine has it (Debian's `wesnoth-1.16-music` or
`fretsonfire-songs-*`, tracks concatenated and encoded once into $INPAINT_STUDIO_BENCH_CACHE,
default /tmp/inpaint-studio-bench; never into the repository), else the `load` benchmark's
synthesised songs. Each side is the best of three runs, interleaved, since the machine's load
varies; the 1-minute load average is reported at the start and the end.
`INPAINT_STUDIO_BENCH_WINDOW_ONLY=1` stops after the window figures (no song)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

CACHE = Path(os.environ.get("INPAINT_STUDIO_BENCH_CACHE", "/tmp/inpaint-studio-bench"))
MUSIC_DIRS = [Path("/usr/share/games/wesnoth/1.16/data/core/music"),
              Path("/usr/share/games/fretsonfire/data/songs")]  # fmt: skip


def music_tracks() -> list[Path]:
    """Real recordings from Debian's music packages (wesnoth-1.16-music, fretsonfire-songs-*),
    sorted by name; empty when none is installed."""
    tracks: list[Path] = []
    for folder in MUSIC_DIRS:
        if folder.is_dir():
            tracks += sorted(p for p in folder.rglob("*.ogg") if p.stat().st_size > 500_000)
    return tracks


def real_song(minutes: int) -> Path | None:
    """A `minutes`-long stereo 44.1 kHz 192 kb/s MP3 of real recordings, concatenated; made once
    and cached (never in the repository). None when the machine has no music package."""
    from inpaint_studio.core.ffmpeg import ffmpeg_path

    tracks = music_tracks()
    if not tracks:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / f"music-{minutes}min.mp3"
    if target.exists():
        return target
    part = target.with_name(f"{target.stem}.{os.getpid()}.part.mp3")
    try:
        # the concat filter, not the concat demuxer: the demuxer decodes every track with the
        # first one's Vorbis headers (garbage from the second track on, values up to 58)
        picked, total = [], 0.0
        while total < minutes * 60:
            for track in tracks:
                picked.append(track)
                total += _seconds(track)
                if total >= minutes * 60:
                    break
        inputs = [arg for t in picked for arg in ("-i", str(t))]
        joined = "".join(f"[{i}:a]" for i in range(len(picked)))
        subprocess.run([ffmpeg_path(), "-v", "error", "-y", *inputs, "-filter_complex",
                        f"{joined}concat=n={len(picked)}:v=0:a=1,aresample=44100,"
                        "aformat=channel_layouts=stereo", "-t", str(minutes * 60),
                        "-c:a", "libmp3lame", "-b:a", "192k", str(part)], check=True)  # fmt: skip
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)
    return target


def _seconds(path: Path) -> float:
    from inpaint_studio.core.decode import probe

    return probe(path).declared_duration or 0.0


def synthetic_song(minutes: int) -> Path:
    """The `load` benchmark's synthesised song, when the machine has no music package."""
    from bench_load import bench_song

    return bench_song(minutes)


def _ffmpeg_null(args: list[str]) -> subprocess.Popen[bytes]:
    from inpaint_studio.core.ffmpeg import ffmpeg_path

    return subprocess.Popen([ffmpeg_path(), "-v", "fatal", "-nostdin", *args, "-f", "f32le",
                             "-acodec", "pcm_f32le", "-y", "/dev/null"])  # fmt: skip


def ffmpeg_alone_seconds(path: Path) -> float:
    """The floor: one ffmpeg decoding the whole file to /dev/null."""
    t0 = time.perf_counter()
    _ffmpeg_null(["-i", str(path)]).wait()
    return time.perf_counter() - t0


def ffmpeg_halves_seconds(path: Path) -> float:
    """The two-core floor: two ffmpeg at once, each decoding one half to /dev/null (the second
    half seeked to, with the same preroll the app's parts use)."""
    from inpaint_studio.core.decode import PREROLL_S, probe

    info = probe(path)
    rate = info.sample_rate
    half = int((info.declared_duration or 0) * rate) // 2
    pre = int(PREROLL_S * rate)
    t0 = time.perf_counter()
    first = _ffmpeg_null(["-i", str(path), "-af", f"atrim=end_sample={half}"])
    second = _ffmpeg_null(["-ss", f"{(half - pre) / rate:.6f}", "-i", str(path),
                           "-af", f"atrim=start_sample={pre}"])  # fmt: skip
    first.wait()
    second.wait()
    return time.perf_counter() - t0


def soundfile_halves_seconds(path: Path) -> float:
    """For choosing the decoder: libsndfile (mpg123 for MP3, through soundfile) on two threads,
    each decoding one half into its slice of one planar float32 buffer."""
    import threading

    import numpy as np
    import soundfile as sf

    with sf.SoundFile(str(path)) as fh:
        frames, channels = fh.frames, fh.channels
    out = np.empty((channels, frames), dtype=np.float32)

    def part(start: int, end: int) -> None:
        block = np.empty((65536, channels), dtype=np.float32)
        with sf.SoundFile(str(path)) as fh:
            fh.seek(start)
            pos = start
            while pos < end:
                got = fh.read(min(65536, end - pos), dtype="float32", out=block[: end - pos])
                if not len(got):
                    break
                out[:, pos : pos + len(got)] = got.T
                pos += len(got)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=part, args=(0, frames // 2)),
               threading.Thread(target=part, args=(frames // 2, frames))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def _launch(args: list[str], env: dict[str, str]) -> tuple[float, dict]:
    """Start a fresh Python process; the seconds from launch until it printed its result (the
    child prints the wall clock when its pixels were drawn), and that result."""
    t0 = time.time()
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, check=False)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"{args[-1]}: exit {proc.returncode}: {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["drawn_at"] - t0, result


def child_bare() -> None:
    """A bare PySide6 window, shown and grabbed: the floor of a drawn window."""
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([])
    window = QMainWindow()
    window.resize(1600, 900)
    window.show()
    app.processEvents()
    window.grab()
    print(json.dumps({"drawn_at": time.time()}), flush=True)


def child_editor(song: str) -> None:
    """The editor as `inpaint-studio SONG` starts it (`app.Launch`, offscreen): the window's
    shell drawn first, the song's decode started at that paint while the editor is built, then
    the editor's start-up (key lookup, local backend, sound device) as in the app. The result
    is printed once the complete waveform is drawn (grabbed)."""
    from PySide6.QtWidgets import QApplication

    from inpaint_studio import app as composition
    from inpaint_studio.gui import theme
    from inpaint_studio.gui.about import apply_identity
    from inpaint_studio.services.settings import Settings
    from inpaint_studio.services.worker import WorkerPool

    qapp = QApplication([])
    apply_identity(qapp)
    theme.apply(qapp, plots=False)
    settings = Settings(Path(os.environ["INPAINT_STUDIO_HOME"]) / "bench.ini")
    workers = WorkerPool()
    launch = composition.Launch(settings, workers, song=song)
    window = launch.window
    result: dict[str, float] = {}
    at_window: list[os.times_result] = []

    def on_painted() -> None:  # heard after Launch.begin, which starts the song's decode
        result["window_at"] = time.time()
        at_window.append(os.times())

    def on_loaded() -> None:
        window.grab()  # the complete waveform's pixels, not only its data
        result["drawn_at"] = time.time()
        # CPU seconds from the drawn window to the drawn waveform: this process (GUI, reading
        # thread, pyramid, the editor's build and start-up meanwhile) and its ended children
        # (the decoders)
        now, then = os.times(), at_window[0]
        result["cpu_self_s"] = now.user + now.system - then.user - then.system
        result["cpu_children_s"] = (now.children_user + now.children_system
                                    - then.children_user - then.children_system)
        print(json.dumps(result), flush=True)
        window.close()
        qapp.quit()

    window.first_painted.connect(on_painted)
    window.song_opened.connect(lambda _path: on_loaded())
    window.errors.interactive = False
    window.errors.reported.connect(lambda title, message: (
        print(f"{title}: {message}", file=sys.stderr), qapp.exit(1)))
    window.resize(1600, 900)
    window.show()
    code = qapp.exec()
    workers.cancel_all()
    workers.wait_all(5000)
    if code != 0 or "drawn_at" not in result:
        raise SystemExit(1)


def run() -> Iterator[dict]:
    import tempfile

    from common import figure

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")  # no user's keyring
    me = str(Path(__file__).resolve())
    with tempfile.TemporaryDirectory(prefix="inpaint-bench-startup-") as home:
        env["INPAINT_STUDIO_HOME"] = home
        # The app as a user launches it every day: its modules compiled to bytecode, as pip's
        # wheel install, the frozen build and any launch after the first leave them (an
        # editable checkout under PYTHONDONTWRITEBYTECODE=1 would compile ~200 modules on every
        # launch, which no user's app does). The bytecode lands in the ignored __pycache__
        # folders beside the sources, as any Python run's does.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "inpaint_studio")],
                       env=env, check=True)
        yield figure("startup.loadavg_1min_at_start", os.getloadavg()[0], "", "info", None)
        # launch -> drawn window, no song: best of 3 each, interleaved. The editor is started
        # as the user starts it (`inpaint_studio.cli.main`, through the first_paint probe: its
        # key lookup, jobs, sound device and local server wait for the paint, as in the app).
        bare, ours = [], []
        probe = str(HERE / "first_paint.py")
        for _ in range(3):
            bare.append(_launch([me, "--bare"], env)[0])
            ours.append(_launch([probe], env)[0])
        yield figure("startup.window_bare_pyside6_floor", min(bare), "s", "floor", None)
        yield figure("startup.window_drawn", min(ours), "s", "info", None)
        ratio = min(ours) / min(bare)
        yield figure("startup.window_vs_bare", ratio, "x", "<= 2", ratio <= 2)
        if os.environ.get("INPAINT_STUDIO_BENCH_WINDOW_ONLY") == "1":  # the songs are slow
            yield figure("startup.loadavg_1min_at_end", os.getloadavg()[0], "", "info", None)
            return
        real = real_song(10) is not None
        for minutes in (10, 60):
            path = real_song(minutes) if real else synthetic_song(minutes)
            assert path is not None
            tag = f"startup.{minutes}min"
            alone, halves, app, opened, single = [], [], [], [], []
            cpu_self, cpu_children, single_self = [], [], []
            one_stream = dict(env, INPAINT_STUDIO_DECODE_PARTS="1")
            for _ in range(3):  # interleaved, so that a busy moment hits every side
                alone.append(ffmpeg_alone_seconds(path))
                halves.append(ffmpeg_halves_seconds(path))
                seconds, result = _launch([me, "--editor", str(path)], env)
                app.append(seconds)
                opened.append(result["drawn_at"] - result["window_at"])
                cpu_self.append(result["cpu_self_s"])
                cpu_children.append(result["cpu_children_s"])
                _, result = _launch([me, "--editor", str(path)], one_stream)
                single.append(result["drawn_at"] - result["window_at"])
                single_self.append(result["cpu_self_s"])
            goal = 1.0 if minutes == 60 else 1.2
            ratio = min(app) / min(alone)
            yield figure(f"{tag}.complete_waveform", min(app), "s", "info", None)
            yield figure(f"{tag}.complete_vs_ffmpeg_alone", ratio, "x", f"<= {goal}",
                         ratio <= goal)  # fmt: skip
            yield figure(f"{tag}.ffmpeg_alone_floor", min(alone), "s", "floor", None)
            yield figure(f"{tag}.ffmpeg_halves_floor", min(halves), "s", "floor (two cores)",
                         None)  # fmt: skip
            yield figure(f"{tag}.complete_vs_ffmpeg_halves", min(app) / min(halves), "x",
                         "info", None)  # fmt: skip
            # the decode alone: from the drawn window to the drawn complete waveform
            yield figure(f"{tag}.open_to_complete", min(opened), "s", "info", None)
            yield figure(f"{tag}.open_to_complete_vs_ffmpeg_alone", min(opened) / min(alone),
                         "x", "info (the decode's share, start-up aside)", None)  # fmt: skip
            yield figure(f"{tag}.open_to_complete_one_stream", min(single), "s",
                         "info (INPAINT_STUDIO_DECODE_PARTS=1)", None)  # fmt: skip
            yield figure(f"{tag}.parts_vs_one_stream", min(opened) / min(single), "x",
                         "< 1 (parallel parts faster than one stream)",
                         min(opened) < min(single))  # fmt: skip
            # CPU seconds, window to waveform (less sensitive to a shared machine than wall time)
            yield figure(f"{tag}.open_cpu_app", min(cpu_self), "s",
                         "info (the editor's own CPU: GUI, reading thread, pyramid)", None)
            yield figure(f"{tag}.open_cpu_decoders", min(cpu_children), "s",
                         "info (the parts' ffmpeg)", None)  # fmt: skip
            yield figure(f"{tag}.open_cpu_app_one_stream", min(single_self), "s",
                         "info (INPAINT_STUDIO_DECODE_PARTS=1)", None)  # fmt: skip
            if minutes == 60:
                sf_two = min(soundfile_halves_seconds(path) for _ in range(2))
                yield figure(f"{tag}.soundfile_halves", sf_two, "s",
                             "info (decoder choice: libsndfile on two threads)", None)
            yield figure(f"{tag}.source", 1.0 if real else 0.0, "real music",
                         "info (1: Debian music package, 0: synthesised)", None)  # fmt: skip
        yield figure("startup.loadavg_1min_at_end", os.getloadavg()[0], "", "info", None)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--bare":
        child_bare()
    elif len(sys.argv) >= 3 and sys.argv[1] == "--editor":
        child_editor(sys.argv[2])
    else:
        for fig in run():
            print(json.dumps(fig), flush=True)
