"""The Python API as a script uses it: pydub AudioSegments, numpy arrays and paths in, versions
out, against the real local server over loopback HTTP (its fast test engine), with no Qt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.synth import synth_song
from inpaint_studio.scripting import (
    InpaintWarning,
    InvalidInput,
    Studio,
    array_to_audio,
    audio_to_segment,
    segment_to_audio,
)
from inpaint_studio.server.config import ServerConfig
from tests.jobs.support import KEY, counting_server, make_song
from tests.jobs.support import odd_songs as make_odd_songs

ROOT = Path(__file__).resolve().parents[2]
SEAM_S = 0.02  # the quick engine crossfades 10 ms inside the region's edges


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MUSICGPT_API_KEY"}
    env.update(INPAINT_STUDIO_HOME=str(home), PYTHONPATH=str(ROOT),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    return env


def _outside(samples: np.ndarray, rate: int, start: float, end: float) -> np.ndarray:
    """The frames before `start` and after `end`, (channels, n)."""
    return np.concatenate([samples[:, : int(start * rate)], samples[:, int(end * rate):]], axis=1)


SCRIPT = textwrap.dedent('''
    import json, sys
    import numpy as np
    from pydub import AudioSegment
    from inpaint_studio import inpaint

    if __name__ == "__main__":
        song = AudioSegment.from_wav(sys.argv[1])  # pydub reads WAV itself: no ffmpeg run
        result = inpaint(song, 4.0, 8.0, "warm piano", local_engine="quick",
                         out_dir=sys.argv[2])
        original = np.frombuffer(song.raw_data, "<i2").reshape(-1, song.channels)
        rate = song.frame_rate
        a, b = int(3.98 * rate), int(8.02 * rate)
        report = []
        for v in result.versions:
            seg = v.segment
            assert isinstance(seg, AudioSegment)
            got = np.frombuffer(seg.raw_data, "<i2").reshape(-1, seg.channels)
            report.append({
                "index": v.index, "path": str(v.path), "rate": seg.frame_rate,
                "part_midi": v.part_midi and str(v.part_midi),
                "channels": seg.channels, "width": seg.sample_width,
                "frames": int(seg.frame_count()), "ms": len(seg),
                "outside": int(np.abs(np.concatenate([got[:a], got[b:]]).astype(int)
                                      - np.concatenate([original[:a], original[b:]])).max()),
                "inside": int(np.abs(got[a:b].astype(int) - original[a:b]).max()),
            })
        print(json.dumps({"versions": report, "frames": int(song.frame_count()),
                          "ms": len(song), "job": result.job_id,
                          "qt": sorted(m for m in sys.modules
                                       if m.split(".")[0] in ("PySide6", "shiboken6",
                                                              "pyqtgraph"))}))
''')


def test_a_script_with_audiosegments_gets_both_versions_back_without_qt(tmp_path):
    """The issue's must-show: AudioSegment in, both versions out as AudioSegments of the song's
    length, rate and channels, the song untouched outside the region, and no Qt imported."""
    song = make_song(tmp_path / "song.wav", seconds=12.0)
    (tmp_path / "script.py").write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, str(tmp_path / "script.py"), str(song), str(out)],
                         env=_env(tmp_path / "home"), cwd=tmp_path, capture_output=True,
                         text=True, timeout=240)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["qt"] == []  # 'PySide6' not in sys.modules
    assert [v["index"] for v in got["versions"]] == [1, 2]
    for v in got["versions"]:
        assert (v["rate"], v["channels"], v["width"]) == (44100, 2, 2)
        assert v["frames"] == got["frames"] and v["ms"] == got["ms"]
        assert v["outside"] == 0  # sample-identical outside the region
        assert v["inside"] > 1000  # the region was replaced
        assert Path(v["path"]).is_file() and Path(v["path"]).parent == out
        assert Path(v["path"]).name == f"song-{got['job'][:8]}-v{v['index']}.wav"
        assert v["part_midi"] is None  # the quick engine plays no part


def test_a_top_level_call_in_a_script_is_refused_before_anything_is_sent(tmp_path):
    """The local engine's processes import the script again: an unguarded call would run in
    each of them. It is refused at once, with the fix; a call under the guard passes."""
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent('''
        import numpy as np
        from inpaint_studio import inpaint

        def main():
            return inpaint(np.zeros(44100 * 12, np.float32), 4.0, 8.0, "p", sample_rate=44100)

        if __name__ == "__main__":
            print("guarded")
        main()
    '''), encoding="utf-8")
    res = subprocess.run([sys.executable, str(script)], env=_env(tmp_path / "home"),
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and "guarded" in res.stdout
    assert "unguarded.py, line 10, calls inpaint_studio at the top level" in res.stderr
    assert 'if __name__ == "__main__":' in res.stderr.splitlines()[-1]
    assert not (tmp_path / "home" / "data" / "server").exists()  # no server was started


def test_importing_the_package_loads_no_qt_pydub_or_numpy(tmp_path):
    code = textwrap.dedent('''
        import sys
        import inpaint_studio
        heavy = ("PySide6", "pydub", "numpy", "requests")
        before = sorted(m for m in heavy if m in sys.modules)
        api = inpaint_studio.inpaint  # the scripting API, loaded now
        after = sorted(m for m in heavy if m in sys.modules)
        print(before, after, callable(api), "inpaint" in dir(inpaint_studio))
    ''')
    res = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path / "home"),
                         capture_output=True, text=True, timeout=60, check=True)
    # pydub waits for the first AudioSegment; Qt never comes
    # (requests waits for the first request: the job lifecycle names files without api.download)
    assert res.stdout.split() == ["[]", "['numpy']", "True", "True"]


# -- in this process: one local server for the path and numpy cases ----------------------------
@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    s = Studio(local_engine="quick", store=tmp_path_factory.mktemp("store") / "jobs.sqlite3")
    yield s
    s.close()


def test_a_path_gives_versions_on_the_songs_timeline(studio, tmp_path):
    song = make_song(tmp_path / "song.wav", seconds=12.0)
    original = load_audio(song)
    result = studio.inpaint(str(song), 4.0, 8.0, "warm piano", out_dir=tmp_path / "out")
    assert len(result) == 2 and result.backend == "local"
    for v in result:
        assert v.samples.shape == original.samples.shape and v.sample_rate == 44100
        assert np.array_equal(_outside(v.samples, 44100, 4.0 - SEAM_S, 8.0 + SEAM_S),
                              _outside(original.samples, 44100, 4.0 - SEAM_S, 8.0 + SEAM_S))
        assert v.path.name == f"song-{result.job_id[:8]}-v{v.index}.wav"
        seg = v.segment
        assert (seg.frame_rate, seg.channels, int(seg.frame_count())) == (44100, 2,
                                                                          original.frames)


def test_a_numpy_array_in_either_layout_comes_back_planar(studio):
    rate = 32000
    song = synth_song(10.0, bpm=120.0, seed=5, sample_rate=rate)
    frames_first = song.samples.T.copy()  # (frames, channels), as soundfile gives it
    with pytest.warns(InpaintWarning, match="more than 50%"):  # a warning does not stop it
        result = studio.inpaint(frames_first, 2.0, 8.0, "brass stab", sample_rate=rate,
                                versions=1)
    assert [v.index for v in result] == [1]
    v = result[0]
    assert v.samples.shape == song.samples.shape and v.sample_rate == rate
    # the upload is 24-bit FLAC and the version a 16-bit WAV: equal to within 16-bit rounding
    np.testing.assert_allclose(_outside(v.samples, rate, 2.0 - SEAM_S, 8.0 + SEAM_S),
                               _outside(song.samples, rate, 2.0 - SEAM_S, 8.0 + SEAM_S),
                               atol=1.5 / 32768)
    assert v.segment.sample_width == 2 and v.segment.frame_rate == rate


def test_cancelling_before_the_upload_is_complete_ends_the_job_unsent(studio, segment):
    """The song's upload copy was temporary: a job stopped before it was sent is ended as
    failed (nothing sent), not left for a later resume that could not find its song."""
    from inpaint_studio.jobs.store import Stage
    from inpaint_studio.scripting import Cancelled, CancelToken

    token = CancelToken()
    seen: list[str] = []

    def progress(line: str) -> None:
        seen.append(line)
        if line.startswith("uploading"):
            token.cancel()

    before = {j.id for j in studio._store.list()}
    with pytest.raises(Cancelled):
        studio.inpaint(segment, 2.0, 5.0, "warm piano", cancel=token, progress=progress)
    (job,) = [j for j in studio._store.list() if j.id not in before]
    assert job.stage is Stage.FAILED and job.error_kind == "NotSent"
    assert "Nothing was sent" in job.message and job.submit_attempts == 1


# -- refused before anything is sent -----------------------------------------------------------
@pytest.fixture
def idle(tmp_path):
    """A studio whose local server has not started, with an empty store."""
    s = Studio(local_engine="quick", store=tmp_path / "jobs.sqlite3")
    yield s
    assert not s._backends.local_running  # nothing was sent: the server never started
    assert s._store.list() == []  # and no job was saved
    s.close()


@pytest.fixture(scope="module")
def segment():
    return audio_to_segment(synth_song(8.0, bpm=120.0, seed=2))


@pytest.mark.parametrize(("start", "end", "words"), [
    (2.0, 3.0, "shorter than 3 s"),
    (5.0, 9.5, "after the song's end"),
    (6.0, 4.0, "must end after it starts"),
    (-1.0, 3.0, "cannot start before the song"),
    (np.float32(2.0), np.int64(3), "shorter than 3 s"),  # numpy scalars are numbers too
    ("2", 6.0, "start must be a number of seconds"),
    (2.0, float("nan"), "must be numbers of seconds"),
])
def test_a_bad_region_is_refused_before_upload(idle, segment, start, end, words):
    with pytest.raises(InvalidInput, match=words):
        idle.inpaint(segment, start, end, "warm piano")


@pytest.mark.parametrize(("song", "kwargs", "words"), [
    (np.zeros(44100 * 8, np.float32), {}, "needs its sample rate"),
    (np.zeros((3, 3), np.float32), {"sample_rate": 44100}, "is not a song"),
    (np.full(44100 * 8, np.nan, np.float32), {"sample_rate": 44100}, "NaN"),
    ("/no/such/song.wav", {}, "does not exist"),
    ("https://example.com/song.mp3", {}, "download it first"),
    (b"RIFF", {}, "must be a file path, a numpy array or a pydub AudioSegment"),
])
def test_a_bad_song_is_refused_before_upload(idle, song, kwargs, words):
    with pytest.raises(InvalidInput, match=words):
        idle.inpaint(song, 1.0, 5.0, "warm piano", **kwargs)


def test_bad_fields_are_refused_together(idle, segment):
    with pytest.raises(InvalidInput) as err:
        idle.inpaint(segment, 1.0, 5.0, "  ", versions=3)
    assert "prompt is required" in str(err.value) and "1 or 2" in str(err.value)
    with pytest.raises(InvalidInput, match="shorter than 1 s"):
        idle.inpaint(segment, 1.0, 1.5, "warm piano", min_region_s=1.0)


def test_musicgpt_needs_a_key_and_never_shows_it(tmp_path):
    with pytest.raises(InvalidInput, match="No MusicGPT API key"):
        Studio("musicgpt", store=tmp_path / "jobs.sqlite3")
    secret = "sk-SCRIPT-secret-7f3a"
    s = Studio("musicgpt", api_key=secret, store=tmp_path / "jobs.sqlite3")
    try:
        assert secret not in repr(s) and secret not in repr(s._backends.keys)
    finally:
        s.close()


def test_the_musicgpt_backend_submits_once_and_returns_both_versions(tmp_path, segment):
    """The paid path, against the local server standing in for MusicGPT on loopback."""
    config = ServerConfig(version_delay_s=0.2, eta_base_s=1.0, eta_per_song_s=0.02)
    with counting_server(tmp_path / "server", config=config) as (srv, log):
        lines: list[str] = []
        with Studio("musicgpt", api_key=KEY, base_url=srv.base_url,
                    store=tmp_path / "jobs.sqlite3") as s:
            result = s.inpaint(segment, 2.0, 5.0, "warm piano", progress=lines.append)
            job = s._store.get(result.job_id)
        assert log.submits() == 1 and job.submit_attempts == 1
    assert [len(v.segment) for v in result] == [len(segment)] * 2
    assert all(KEY not in line for line in lines) and "done: 2 versions" in lines


# -- conversions -------------------------------------------------------------------------------
@pytest.mark.parametrize("width", [1, 2, 4])
def test_segment_and_audio_convert_without_ffmpeg(width):
    audio = synth_song(2.0, bpm=120.0, seed=1)
    seg = audio_to_segment(audio, width)
    assert (seg.sample_width, seg.frame_rate, seg.channels) == (width, 44100, audio.channels)
    assert int(seg.frame_count()) == audio.frames
    back = segment_to_audio(seg)
    assert back.samples.flags.c_contiguous and back.samples.dtype == np.float32
    np.testing.assert_allclose(back.samples, np.clip(audio.samples, -1, 1 - 2.0 ** (1 - 8 * width)),
                               atol=1.0 / (1 << (8 * width - 1)))
    assert audio_to_segment(back, width).raw_data == seg.raw_data  # a round trip is exact


def test_integer_and_mono_arrays():
    pcm = np.tile(np.array([32767, -32768, 0, 16384], np.int16), 2000)
    mono = array_to_audio(pcm, 8000)
    assert mono.samples.shape == (1, 8000)
    assert mono.samples[0, :4].tolist() == [32767 / 32768, -1.0, 0.0, 0.5]
    u8 = array_to_audio(np.full((8000, 2), 128, np.uint8), 8000)
    assert u8.channels == 2 and not u8.samples.any()


def test_load_segment_reads_pcm_wav_with_pydub_and_the_rest_with_the_decoder(tmp_path):
    from inpaint_studio.core.encode import encode_audio
    from inpaint_studio.scripting import load_segment

    audio = synth_song(3.0, bpm=120.0, seed=4)
    pcm = encode_audio(audio, tmp_path / "pcm16.wav")
    floats = encode_audio(audio, tmp_path / "float.wav", codec_args=["-c:a", "pcm_f32le"])
    mp3 = encode_audio(audio, tmp_path / "song.mp3")
    expected = audio_to_segment(load_audio(pcm))
    assert load_segment(pcm).raw_data == expected.raw_data  # pydub's read, the same samples
    assert load_segment(floats).raw_data == audio_to_segment(audio).raw_data  # not as ints
    assert load_segment(pcm, sample_width=4).sample_width == 4
    assert abs(len(load_segment(mp3)) - 3000) < 60  # any ffmpeg format, no ffprobe needed
    cut = tmp_path / "cut.wav"
    cut.write_bytes(pcm.read_bytes()[: pcm.stat().st_size // 2])
    with pytest.raises(InvalidInput, match="cut short"):
        load_segment(cut)  # pydub would read half a song without a word


@pytest.mark.parametrize("width", [1, 2])
def test_a_segment_is_uploaded_as_its_own_samples(tmp_path, width):
    from inpaint_studio.scripting.segments import segment_to_flac

    seg = audio_to_segment(synth_song(2.0, bpm=120.0, seed=6), width)
    flac = segment_to_flac(seg, tmp_path / "up.flac")
    assert audio_to_segment(load_audio(flac), width).raw_data == seg.raw_data  # bit-exact
    assert [p.name for p in tmp_path.iterdir()] == ["up.flac"]  # no temporary file left


def test_pydub_exports_mp3_with_the_apps_ffmpeg(tmp_path):
    """Where pydub finds no ffmpeg on PATH, it is given the app's (the bundled one here)."""
    import shutil

    seg = audio_to_segment(synth_song(2.0, bpm=120.0, seed=7))
    assert shutil.which(type(seg).converter)  # an ffmpeg that exists
    seg.export(tmp_path / "x.mp3", format="mp3", bitrate="128k")
    assert abs(load_audio(tmp_path / "x.mp3").duration - 2.0) < 0.1


# -- the checks of `submit` (issue 13, finding 5): before anything is saved or sent -------------
@pytest.fixture(scope="module")
def odd_songs(tmp_path_factory):
    return make_odd_songs(tmp_path_factory.mktemp("odd-songs"))


def test_a_truncated_mp3_is_refused_before_upload(idle, odd_songs):
    with pytest.raises(InvalidInput, match="cut short"):
        idle.inpaint(str(odd_songs["truncated"]), 1.0, 5.0, "warm piano")


def test_a_region_too_short_for_the_backend_is_refused_naming_it(idle, segment):
    """`min_region_s` lowers the script's own warning limit, not the backend's."""
    with pytest.raises(InvalidInput, match="The local backend fills regions of at least 3 s"):
        idle.inpaint(segment, 1.0, 2.0, "warm piano", min_region_s=0.5)


def test_a_six_channel_song_is_sent_as_a_stereo_downmix_with_a_warning(tmp_path, odd_songs):
    with Studio(local_engine="quick", store=tmp_path / "jobs.sqlite3") as s:
        with pytest.warns(InpaintWarning, match="6 channels.*stereo down-mix"):
            result = s.inpaint(str(odd_songs["six"]), 2.0, 6.0, "warm piano", versions=1)
        (job,) = s._store.list()
        assert job.upload_path != str(odd_songs["six"]) and job.submit_attempts == 1
    # the versions come back aligned to the stereo mix that was sent
    assert [v.samples.shape[0] for v in result] == [2]
