"""The local server's default engine routes by the prompt (player/route.py), end to end over
loopback: a musical prompt is played by the session player (real fluidsynth, FluidR3 GM) and
each version's part is offered as MIDI (`conversion_path_midi_N`, a local extension); any other
prompt gets the continuation fill and no MIDI field."""

from __future__ import annotations

import mido
import numpy as np
import pytest
import requests

from inpaint_studio.core import synth
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.player.compose import MAX_JITTER_S
from inpaint_studio.player.midi import read_midi
from inpaint_studio.server import wire
from inpaint_studio.server.config import ServerConfig
from inpaint_studio.server.runner import LocalServer
from inpaint_studio.server.store import ServerTaskStore
from tests.server.conftest import KEY, Api

SECONDS, BPM, SEED = 24.0, 120.0, 4
START, END = 9.0, 13.0


def song_scale() -> set[int]:
    """The pitch classes the synthesised song is made of (natural minor on its root)."""
    plan = synth.compose(SECONDS, BPM, SEED)
    return {int(round(n.pitch)) % 12 for n in plan.notes if n.instrument in ("bass", "lead")}


@pytest.fixture(scope="module")
def player_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("player-server")
    song = folder / "song.wav"
    encode_audio(synth.synth_song(SECONDS, bpm=BPM, seed=SEED), song)
    with LocalServer(folder / "data", KEY, config=ServerConfig(workers=1)) as server:
        yield server, song


@pytest.mark.slow
def test_a_musical_prompt_is_played_and_each_part_downloads_as_midi(player_server, tmp_path):
    server, song = player_server
    api = Api(server)
    task = api.submit(song, prompt="Add a soft guitar solo here", replace_start_at=START,
                      replace_end_at=END).json()
    conv = api.wait(task["task_id"], timeout=240)[-1]["conversion"]
    assert conv["status"] == "COMPLETED", conv.get("message")
    scale = song_scale()
    assert len(scale) == 7
    regions = []
    for i in (1, 2):
        wav = tmp_path / f"v{i}.wav"
        wav.write_bytes(requests.get(conv[f"conversion_path_wav_{i}"], timeout=30).content)
        regions.append(load_audio(wav).samples[:, int(START * 44100):int(END * 44100)])
        data = requests.get(conv[f"conversion_path_midi_{i}"], timeout=30).content
        (tmp_path / f"v{i}.mid").write_bytes(data)
        assert len(mido.MidiFile(tmp_path / f"v{i}.mid").tracks) >= 1
        notes = [n for n in read_midi(data) if n.channel != 9]
        assert notes
        # inside the region (humanising may move an onset by up to MAX_JITTER_S)
        assert all(START - MAX_JITTER_S <= n.time < END + MAX_JITTER_S for n in notes)
        assert sum(n.pitch % 12 in scale for n in notes) / len(notes) >= 0.9
    assert np.max(np.abs(regions[0] - regions[1])) > 0.01  # two different versions
    # The task record says what was played; no path of the server's disk in it.
    rec = server.store.get(task["task_id"])
    for v in rec["versions"].values():
        assert v["meta"]["description"].startswith("Will add: soft nylon guitar solo")
        assert "midi_path" not in v["meta"]
    assert any(n.startswith("Will add:") for n in rec["notes"])
    # Kept across a restart like the audio: a store opened afresh on the same folder (what a
    # restarted server loads) still offers each part, and its file is there.
    again = ServerTaskStore(server.store.root).get(task["task_id"])
    body = wire.conversion_body(again, "http://127.0.0.1:1")["conversion"]
    for i in (1, 2):
        assert body[f"conversion_path_midi_{i}"].endswith(".mid")
        assert (server.store.files / again["versions"][str(i)]["midi"]).is_file()


@pytest.mark.slow
def test_a_prompt_without_music_gets_the_continuation_and_no_midi(player_server):
    server, song = player_server
    api = Api(server)
    task = api.submit(song, prompt="p", replace_start_at=START, replace_end_at=END).json()
    conv = api.wait(task["task_id"], timeout=240)[-1]["conversion"]
    assert conv["status"] == "COMPLETED", conv.get("message")
    assert conv["conversion_path_wav_1"] and conv["conversion_path_wav_2"]
    assert not [k for k in conv if k.startswith("conversion_path_midi")]
    rec = server.store.get(task["task_id"])
    assert rec["versions"]["1"]["meta"]["engine"] != "local-session-player"
    assert rec["versions"]["1"]["midi"] is None
