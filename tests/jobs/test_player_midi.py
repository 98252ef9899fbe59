"""A job against the real local server whose prompt the session player plays: the lifecycle
downloads each version's part as MIDI (verified, beside the audio in the job's cache folder)
into `Result.midi_path`; against a server that offers none it stays ""."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.models import Task
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.jobs.lifecycle import JobLifecycle
from inpaint_studio.jobs.results import copy_parts
from inpaint_studio.jobs.store import Stage
from inpaint_studio.server import quick_engine
from inpaint_studio.server.config import ServerConfig
from tests.jobs.support import KEY, counting_server, make_song


def broken_midi_engine(audio: Audio, start: float, end: float, *, seed: int = 0,
                       num_versions: int = 2, prompt: str = "", token: object = None,
                       progress: object = None, midi_dir: str | None = None):
    """The quick engine, each version offering a "MIDI file" that is not one (the server
    publishes it as it would the player's; the engine processes import this by name)."""
    result = quick_engine.fill_region(audio, start, end, seed=seed, num_versions=num_versions,
                                      prompt=prompt)
    for i, version in enumerate(result.versions, 1):
        path = Path(midi_dir) / f"version_{i}.mid"
        path.write_bytes(b"RIFF, not a MIDI file")
        version.meta["midi_path"] = str(path)
    return result


def _run(store, server, song, tmp_path, prompt):
    client = MusicGPTClient(server.base_url, KEY, min_poll_interval=0.2, max_poll_interval=0.5)
    try:
        job = store.create(backend="local", base_url=server.base_url, source=str(song),
                           upload_path=str(song), start=5.0, end=9.0,
                           params={"prompt": prompt, "num_outputs": 2})
        for _ in JobLifecycle(store, client, tmp_path / "cache", stall_s=600).run(
                job.id, CancelToken()):
            pass
    finally:
        client.close()
    return store.get(job.id)


@pytest.mark.slow
def test_a_played_job_downloads_its_parts_as_midi(store, tmp_path):
    song = make_song(tmp_path / "song.wav", seconds=14.0, seed=4)
    with counting_server(tmp_path / "server", engine=None,
                         config=ServerConfig(workers=1)) as (server, log):
        done = _run(store, server, song, tmp_path, "Add a soft guitar solo here")
    assert done.stage is Stage.DONE, done.message
    folder = tmp_path / "cache" / "jobs" / done.id
    for r in done.results:
        assert r.midi_url.endswith(".mid")
        midi = Path(r.midi_path)
        assert midi.is_file() and midi.parent == folder == Path(r.path).parent
        assert any(m.type == "note_on" for m in mido.MidiFile(midi))
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no temp files
    assert sorted(log.downloads().values()) == [1, 1, 1, 1]  # 2 audio + 2 MIDI, once each
    # handed over with the audio (the CLI's --out, the scripting API's out_dir)
    parts = copy_parts(done, tmp_path / "out", "song")
    assert sorted(parts) == [1, 2]
    for r in done.results:
        assert parts[r.index].name == f"song-v{r.index}-part.mid"
        assert parts[r.index].read_bytes() == Path(r.midi_path).read_bytes()


def test_a_midi_file_that_fails_its_check_never_fails_the_job(store, tmp_path):
    song = make_song(tmp_path / "song.wav", seconds=14.0, seed=4)
    engine = f"{__name__}:broken_midi_engine"
    with counting_server(tmp_path / "server", engine=engine) as (server, _):
        done = _run(store, server, song, tmp_path, "Add a soft guitar solo here")
    assert done.stage is Stage.DONE, done.message
    assert all(r.midi_url and r.midi_path == "" and Path(r.path).is_file()
               for r in done.results)
    assert "as MIDI could not be downloaded" in done.message
    folder = tmp_path / "cache" / "jobs" / done.id
    assert sorted(p.suffix for p in folder.iterdir()) == [".wav", ".wav"]  # nothing half-kept
    assert copy_parts(done, tmp_path / "out", "song") == {}
    assert not (tmp_path / "out").exists()


def test_musicgpt_answers_have_no_midi():
    """The real API's byId shape (no MIDI field): versions parse with no MIDI address."""
    task = Task.from_wire({"success": True, "conversion": {
        "task_id": "t", "status": "COMPLETED", "conversion_id_1": "c1",
        "conversion_path_1": "https://cdn.example/c1.mp3"}})
    assert task.versions[0].midi_url is None
