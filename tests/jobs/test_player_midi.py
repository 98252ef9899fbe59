"""A job against the real local server whose prompt the session player plays: the lifecycle
downloads each version's part as MIDI (verified, beside the audio in the job's cache folder)
into `Result.midi_path`; against a server that offers none it stays ""."""

from __future__ import annotations

from pathlib import Path

import mido

from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.models import Task
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.jobs.lifecycle import JobLifecycle
from inpaint_studio.jobs.store import Stage
from inpaint_studio.server.config import ServerConfig
from tests.jobs.support import KEY, counting_server, make_song


def test_a_played_job_downloads_its_parts_as_midi(store, tmp_path):
    song = make_song(tmp_path / "song.wav", seconds=14.0, seed=4)
    with counting_server(tmp_path / "server", engine=None,
                         config=ServerConfig(workers=1)) as (server, log):
        client = MusicGPTClient(server.base_url, KEY, min_poll_interval=0.2,
                                max_poll_interval=0.5)
        try:
            job = store.create(backend="local", base_url=server.base_url, source=str(song),
                               upload_path=str(song), start=5.0, end=9.0,
                               params={"prompt": "Add a soft guitar solo here",
                                       "num_outputs": 2})
            runner = JobLifecycle(store, client, tmp_path / "cache", stall_s=600)
            for _ in runner.run(job.id, CancelToken()):
                pass
        finally:
            client.close()
    done = store.get(job.id)
    assert done.stage is Stage.DONE, done.message
    folder = tmp_path / "cache" / "jobs" / job.id
    for r in done.results:
        assert r.midi_url.endswith(".mid")
        midi = Path(r.midi_path)
        assert midi.is_file() and midi.parent == folder == Path(r.path).parent
        assert any(m.type == "note_on" for m in mido.MidiFile(midi))
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no temp files
    assert sorted(log.downloads().values()) == [1, 1, 1, 1]  # 2 audio + 2 MIDI, once each


def test_musicgpt_answers_have_no_midi():
    """The real API's byId shape (no MIDI field): versions parse with no MIDI address."""
    task = Task.from_wire({"success": True, "conversion": {
        "task_id": "t", "status": "COMPLETED", "conversion_id_1": "c1",
        "conversion_path_1": "https://cdn.example/c1.mp3"}})
    assert task.versions[0].midi_url is None
