"""Issue 13, finding 5: what a backend would refuse is refused before anything is saved or
uploaded (truncated and undecodable files, song and region lengths of the chosen backend), with
messages naming that backend; a song of more than two channels is sent as a stereo down-mix."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio import cli
from inpaint_studio.api.errors import RequestInvalid
from inpaint_studio.api.models import InpaintRequest
from inpaint_studio.backends.backend import LOCAL, Backends, BackendSettings
from inpaint_studio.backends.keystore import KeyStore
from inpaint_studio.backends.preflight import downmix, preflight
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.decode import load_audio, probe
from inpaint_studio.core.encode import encode_audio
from tests.jobs.support import odd_songs


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("preflight")
    songs = odd_songs(tmp)
    mp3, truncated, wav, six = songs["mp3"], songs["truncated"], songs["wav"], songs["six"]
    wav_data = wav.read_bytes()
    truncated_wav = tmp / "truncated.wav"  # ffmpeg takes a WAV's length from its size
    truncated_wav.write_bytes(wav_data[: len(wav_data) // 3])
    long = tmp / "eleven-minutes.wav"  # 8 kHz mono keeps it small (10 MB)
    rate = 8000
    t = np.arange(11 * 60 * rate, dtype=np.float32) / rate
    encode_audio(Audio((0.1 * np.sin(2 * np.pi * 220 * t))[None, :].astype(np.float32), rate),
                 long)
    garbage = tmp / "garbage.mp3"
    garbage.write_bytes(b"ID3" + bytes(range(256)) * 20)
    return {"mp3": mp3, "truncated": truncated, "six": six, "long": long, "garbage": garbage,
            "truncated_wav": truncated_wav}


def _submit(capsys, song, start="2", end="6", backend=LOCAL) -> tuple[int, str]:
    code = cli.main(["submit", str(song), "--start", start, "--end", end, "--prompt", "warm",
                     "--backend", backend])
    return code, capsys.readouterr().err


def _nothing_saved_or_sent(capsys, home) -> None:
    assert cli.main(["jobs"]) == 0 and "No jobs yet." in capsys.readouterr().out
    # the local server was never started: no task, no upload folder
    assert not [p for p in home.rglob("*") if p.name in ("uploads", "tasks") and
                "server" in p.parts]


@pytest.mark.parametrize("case, start, end, expected", [
    ("truncated", "2", "6", "cut short"),
    ("truncated_wav", "0.5", "3.8", "cut short"),
    ("garbage", "2", "6", "not an audio file"),
    ("long", "60", "70", "the local backend handles songs up to 10 minutes"),
    ("mp3", "2", "2.6", "the local backend fills regions of at least 3 s"),
    ("long", "0", "70", "at most 60 s"),
])
def test_the_local_backend_refuses_before_anything_is_saved_or_uploaded(
        songs, studio_home, capsys, case, start, end, expected):
    code, err = _submit(capsys, songs[case], start, end)
    assert code == 2, err
    assert expected.lower() in err.lower()
    assert "MusicGPT rejected" not in err
    _nothing_saved_or_sent(capsys, studio_home)


def test_a_truncated_song_is_refused_for_musicgpt_too_before_any_upload(songs, studio_home,
                                                                        capsys, monkeypatch):
    monkeypatch.setenv("MUSICGPT_API_KEY", "sk-test-never-used-000000")
    # an address nothing listens on: any attempt to upload would fail differently
    monkeypatch.setenv("MUSICGPT_BASE_URL", "http://127.0.0.1:9/api/public")
    code, err = _submit(capsys, songs["truncated"], backend="musicgpt")
    assert code == 2 and "cut short" in err and "MusicGPT" in err
    _nothing_saved_or_sent(capsys, studio_home)


def test_a_six_channel_song_is_sent_as_a_stereo_downmix(songs, tmp_path):
    prepared = preflight(songs["six"], LOCAL, 2.0, 6.0, tmp_path / "uploads")
    assert prepared.ok, prepared.problems
    assert prepared.channels == 6 and "6 channels" in prepared.notes[0]
    assert prepared.upload_path != str(songs["six"])
    assert probe(prepared.upload_path).channels == 2
    sent = load_audio(prepared.upload_path)
    assert abs(sent.duration - 12.0) < 0.01 and np.max(np.abs(sent.samples)) <= 1.0
    # the song itself is untouched, and the same song reuses its down-mix
    assert probe(songs["six"]).channels == 6
    assert preflight(songs["six"], LOCAL, 2.0, 6.0, tmp_path / "uploads").upload_path == \
        prepared.upload_path


def test_downmix_of_5_1_keeps_centre_and_surrounds():
    frames = 100
    s = np.zeros((6, frames), np.float32)
    s[2] = 0.5  # centre only
    mixed = downmix(Audio(s, 48000))
    assert mixed.channels == 2 and np.allclose(mixed.samples, 0.5 * 0.7071, atol=1e-4)


def test_a_refusal_by_the_local_server_names_the_local_backend(songs, tmp_path):
    """The local server's own 422 (a region past the song's end, which only it can see for a
    song it decodes) is reported as the local backend's, not as "MusicGPT rejected"."""
    backends = Backends(BackendSettings(kind=LOCAL), KeyStore(tmp_path / "k"),
                        server_dir=tmp_path / "srv",
                        server_engine="quick")
    try:
        client = backends.client(LOCAL)
        with pytest.raises(RequestInvalid) as info:
            client.submit_inpaint(InpaintRequest(audio_path=str(songs["mp3"]), prompt="warm",
                                                 replace_start_at=8.0, replace_end_at=30.0))
    finally:
        backends.stop()
    assert info.value.user_message.startswith("The local backend rejected the request")
    assert "MusicGPT" not in info.value.user_message
