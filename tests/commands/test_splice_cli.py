"""`inpaint-studio splice` on a synthetic song and a version that went through an MP3 round trip
and gained a 0.37 s lead-in: outside the seams the output holds the original's samples exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.splice import plan_splice
from inpaint_studio.core.synth import synth_song

ROOT = Path(__file__).resolve().parents[2]
RATE = 44100
START, END = 7.0, 11.5


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("splice")
    song = synth_song(20.0, bpm=112, seed=3, sample_rate=RATE)
    original = tmp / "original.wav"  # 16-bit PCM
    encode_audio(song, original)
    # The version: the same song with the region replaced by other music, through an MP3 round
    # trip (encoder delay, lossy) and then a 0.37 s pad in front.
    other = synth_song(20.0, bpm=112, seed=9, sample_rate=RATE)
    samples = song.samples.copy()
    a, b = int(START * RATE), int(END * RATE)
    samples[:, a:b] = other.samples[:, a:b]
    mp3 = tmp / "version.mp3"
    encode_audio(Audio(samples, RATE), mp3)
    decoded = load_audio(mp3)
    pad = round(0.37 * RATE)
    padded = np.concatenate([np.zeros((2, pad), np.float32), decoded.samples], axis=1)
    version = tmp / "version.flac"
    encode_audio(Audio(padded, RATE), version, codec_args=["-c:a", "flac", "-sample_fmt", "s32"])
    return tmp, original, version, other


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "inpaint_studio", "splice", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_splice_cli_keeps_the_original_outside_the_seams(files, suffix):
    tmp, original, version, other = files
    out = tmp / f"spliced{suffix}"
    res = run_cli(str(original), str(version), "--start", "0:07.000", "--end", str(END),
                  "--crossfade-ms", "40", "--out", str(out))
    assert res.returncode == 0, res.stderr
    # ffmpeg drops the MP3's encoder delay, so the version sits exactly the pad late.
    assert f"version offset {round(0.37 * RATE)} frames" in res.stderr
    ref = load_audio(original)
    got = load_audio(out)
    assert got.frames == ref.frames and got.channels == ref.channels
    plan = plan_splice(ref.frames, RATE, START, END, 0.040)
    assert np.array_equal(got.samples[:, : plan.lo], ref.samples[:, : plan.lo])
    assert np.array_equal(got.samples[:, plan.hi :], ref.samples[:, plan.hi :])
    # Inside, it is the version's new music, in place (aligned, not 0.37 s late).
    l1, r0 = plan.left_fade[1], plan.right_fade[0]
    inner = got.samples[:, l1:r0]
    new = other.samples[:, l1:r0]
    residual = np.sum((inner - new) ** 2) / np.sum(new**2)
    assert residual < 0.3  # MP3 coding noise on bright drums; misplaced music gives > 1
    assert np.sum((inner - ref.samples[:, l1:r0]) ** 2) / np.sum(new**2) > 0.5


def run_in_process(capsys, *args: str) -> tuple[int, str]:
    """`inpaint-studio splice ...` through `cli.main` in this process (argparse's exit 2
    included): the error cases need no fresh interpreter each, which cost ~1.5 s apiece."""
    from inpaint_studio.cli import main

    capsys.readouterr()
    try:
        code = main(["splice", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_splice_cli_errors(files, capsys):
    tmp, original, version, _ = files
    code, err = run_in_process(capsys, str(original), str(version), "--start", "5", "--end", "4",
                               "--out", str(tmp / "x.wav"))
    assert code == 1 and "empty or reversed" in err
    code, err = run_in_process(capsys, str(original), str(version), "--start", "1", "--end", "2",
                               "--out", str(tmp / "x.ogg"))
    assert code == 2 and "--out must end in one of" in err
    before = original.read_bytes()
    code, err = run_in_process(capsys, str(original), str(version), "--start", "1", "--end", "2",
                               "--out", str(original))
    assert code == 2 and "never written" in err
    assert original.read_bytes() == before  # the user's source is never written
    code, err = run_in_process(capsys, str(original), str(version), "--start", "soon", "--end",
                               "2", "--out", str(tmp / "x.wav"))
    assert code == 2 and "is not a time" in err
    code, err = run_in_process(capsys, str(original), str(tmp / "missing.wav"), "--start", "1",
                               "--end", "2", "--out", str(tmp / "x.wav"))
    assert code == 1 and "does not exist" in err
    unrelated = tmp / "unrelated.wav"
    encode_audio(synth_song(20.0, bpm=90, seed=21, sample_rate=RATE, style="legato"), unrelated)
    code, err = run_in_process(capsys, str(original), str(unrelated), "--start", "1", "--end",
                               "2", "--out", str(tmp / "x.wav"))
    assert code == 3 and "confidence" in err
    assert not (tmp / "x.wav").exists()


@pytest.mark.parametrize("start, end", [("15", "25"), ("0", "0:21"), ("19.5", "20.01")])
def test_splice_refuses_a_region_outside_the_song(files, capsys, start, end):
    """Issue 13: `splice` past the song's end used to stop silently at the end and exit 0."""
    tmp, original, version, _ = files
    out = tmp / f"outside-{start}-{end}.wav"
    code, err = run_in_process(capsys, str(original), str(version), "--start", start, "--end",
                               end, "--out", str(out))
    assert code == 2 and "not inside the song" in err and "20.000 s" in err
    assert not out.exists()
