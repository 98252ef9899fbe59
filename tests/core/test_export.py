"""Export round trips per format (decoded and compared), region export, cancel, and an export
killed mid-way with SIGKILL (the target is the old file or the new one, never a partial one)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import Cancelled, CancelToken
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.errors import EncodeError
from inpaint_studio.core.export import ExportOptions, export_audio, export_region
from inpaint_studio.core.ffmpeg import ffmpeg_path

RATE = 44100
ROOT = Path(__file__).resolve().parents[2]


def music(seconds: float = 2.0, channels: int = 2) -> Audio:
    t = np.arange(int(seconds * RATE)) / RATE
    rows = [0.4 * np.sin(2 * np.pi * 220 * (c + 1) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
            for c in range(channels)]
    rows[0][1000] = 1.7  # an over, to see clipping rather than wrap-around
    return Audio(np.asarray(rows, dtype=np.float32), RATE)


def tags(path: Path) -> str:
    out = subprocess.run([ffmpeg_path(), "-hide_banner", "-i", str(path)], capture_output=True,
                         text=True)
    return out.stderr


@pytest.mark.parametrize("depth,tol", [(16, 0.51 / 32768), (24, 0.51 / 8388608), (32, 0.0)])
def test_wav_round_trip(tmp_path, depth, tol):
    song = music(channels=2 if depth != 24 else 3)
    target = tmp_path / "out.wav"
    seen = []
    export_audio(song, target, ExportOptions("wav", depth, title="Take Two ünïcode"),
                 progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (song.frames, song.frames)
    info = sf.info(str(target))
    assert info.subtype == {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}[depth]
    assert info.frames == song.frames and info.channels == song.channels
    assert sf.SoundFile(str(target)).title == "Take Two ünïcode"
    back = load_audio(target)  # through ffmpeg, as the app reads files
    want = np.clip(song.samples, -1.0, 1.0 - 2.0 ** -(depth - 1)) if depth != 32 else song.samples
    assert back.frames == song.frames
    assert np.max(np.abs(back.samples - want)) <= tol
    assert back.samples[0, 1000] > 0.99  # clipped, not wrapped to a negative value


@pytest.mark.parametrize("depth", [16, 24])
def test_flac_round_trip(tmp_path, depth):
    song = music()
    target = tmp_path / "out.flac"
    export_audio(song, target, ExportOptions("flac", depth, title="Flac Title"))
    info = sf.info(str(target))
    assert info.subtype == f"PCM_{depth}" and info.frames == song.frames
    back = load_audio(target)
    want = np.clip(song.samples, -1.0, 1.0)
    assert np.max(np.abs(back.samples - want)) <= 1.01 / 2 ** (depth - 1)
    assert "Flac Title" in tags(target)


def test_mp3_round_trip(tmp_path):
    t = np.arange(3 * RATE) / RATE
    chirp = 0.4 * np.sin(2 * np.pi * (200 * t + 300 * t * t))  # never repeats: one clear lag
    song = Audio(np.asarray([chirp, chirp[::-1]], dtype=np.float32), RATE)
    target = tmp_path / "out.mp3"
    export_audio(song, target, ExportOptions("mp3", bitrate_kbps=192, title="Mp3 Title"))
    text = tags(target)
    assert "Mp3 Title" in text and "192 kb/s" in text
    back = load_audio(target)
    # An MP3 has encoder delay and padding: compare after aligning by cross-correlation.
    a, b = song.samples[0], back.samples[0]
    lag = int(np.argmax(np.correlate(b[: RATE], a[2000:6000], mode="valid"))) - 2000
    assert 0 <= lag < 3000
    seg = b[lag + 4000 : lag + 4000 + RATE]
    ref = a[4000 : 4000 + RATE]
    snr = 10 * np.log10(np.sum(ref**2) / np.sum((seg - ref) ** 2))
    assert snr > 20


def test_region_export_and_bad_options(tmp_path):
    song = music()
    target = export_region(song, 0.5, 1.0, tmp_path / "region.wav", ExportOptions("wav", 32))
    data, rate = sf.read(str(target), dtype="float32", always_2d=True)
    assert np.array_equal(data.T, song.samples[:, round(0.5 * RATE) : RATE])
    with pytest.raises(EncodeError):
        export_region(song, 1.0, 1.0, tmp_path / "e.wav", ExportOptions("wav", 16))
    for bad in (ExportOptions("ogg"), ExportOptions("wav", 8), ExportOptions("flac", 32),
                ExportOptions("mp3", bitrate_kbps=999)):
        with pytest.raises(EncodeError):
            export_audio(song, tmp_path / "bad.wav", bad)


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_cancel_leaves_the_old_target(tmp_path, fmt):
    target = tmp_path / f"song.{fmt}"
    target.write_bytes(b"the old export")
    token = CancelToken()

    def progress(done: int, total: int) -> None:
        if done > total // 4:
            token.cancel()

    with pytest.raises(Cancelled):
        export_audio(music(20.0), target, ExportOptions(fmt), token=token, progress=progress)
    assert target.read_bytes() == b"the old export"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


_EXPORTER = textwrap.dedent("""
    import sys
    import numpy as np
    from inpaint_studio.core.audio import Audio
    from inpaint_studio.core.export import ExportOptions, export_audio
    fmt, target = sys.argv[1], sys.argv[2]
    song = Audio(np.random.default_rng(0).uniform(-0.5, 0.5, (2, 44100 * 120)).astype("f4"),
                 44100)
    started = [False]
    def progress(done, total):
        if not started[0]:
            started[0] = True
            print("started", flush=True)
    export_audio(song, target, ExportOptions(fmt, 16), progress=progress)
    print("done", flush=True)
""")


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_sigkill_mid_export_never_leaves_a_partial_target(tmp_path, fmt):
    target = tmp_path / f"song.{fmt}"
    target.write_bytes(b"the old export")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    outcomes = set()
    for delay in (0.0, 0.05, 0.4):
        proc = subprocess.Popen([sys.executable, "-c", _EXPORTER, fmt, str(target)],
                                stdout=subprocess.PIPE, env=env, cwd=ROOT, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "started"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if target.read_bytes() == b"the old export":
            outcomes.add("old")
        else:  # a complete, decodable export
            info = sf.info(str(target))
            assert info.frames == 44100 * 120
            outcomes.add("new")
    assert "old" in outcomes


class _SlowFile:
    """A file whose writes take a while (a slow disk), then fail after `fail_after` bytes."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.data = bytearray()
        self.fail_after = fail_after

    def write(self, block) -> int:
        time.sleep(0.002)
        if self.fail_after is not None and len(self.data) >= self.fail_after:
            raise OSError(28, "No space left on device")
        self.data += bytes(block)
        return len(block)


def test_wav_blocks_written_behind_the_conversion_are_never_overwritten():
    from inpaint_studio.core import export

    rng = np.random.default_rng(5)
    samples = rng.uniform(-1, 1, (2, export._BLOCK * 7 + 123)).astype(np.float32)
    expected = b"".join(bytes(b) for _, b in export._wav_blocks(samples, 24))
    slow = _SlowFile()
    done = []
    export._write_overlapped(slow, export._wav_blocks(samples, 24, buffers=3), CancelToken(),
                             done.append)
    assert bytes(slow.data) == expected
    assert done[-1] == samples.shape[1]


def test_a_write_error_behind_the_conversion_reaches_the_caller(tmp_path):
    from inpaint_studio.core import export

    samples = np.zeros((2, export._BLOCK * 20), np.float32)
    failing = _SlowFile(fail_after=export._BLOCK * 6 * 3)
    produced = []

    def blocks():
        for item in export._wav_blocks(samples, 24, buffers=3):
            produced.append(item[0])
            yield item

    with pytest.raises(OSError, match="No space"):
        export._write_overlapped(failing, blocks(), CancelToken(), lambda done: None)
    assert len(produced) < 20  # the conversion stopped soon after the failure


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 1000, 65536 + 3])
def test_24_bit_packing_both_ways_agrees_with_the_bytes(n):
    from inpaint_studio.core import export

    values = np.random.default_rng(n).integers(-2**23, 2**23, n).astype("<i4")
    want = b"".join(int(v & 0xFFFFFF).to_bytes(3, "little") for v in values)
    assert export._STRIDED_PACK_OK  # this numpy takes the fast way
    for pack in (export._pack24_strided, export._pack24_shifts):
        assert bytes(pack(values, np.empty((3 * n + 12) // 4, "<u4"))) == want
