"""Fixtures of the headless job tests: a song, a store, a counted local server and a client."""

from __future__ import annotations

import pytest

from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.jobs.store import JobStore
from inpaint_studio.server.config import ServerConfig
from tests.jobs.support import KEY, counting_server, make_song


@pytest.fixture(scope="session")
def song(tmp_path_factory):
    return make_song(tmp_path_factory.mktemp("songs") / "song.wav", seconds=12.0)


@pytest.fixture
def store(tmp_path):
    s = JobStore(tmp_path / "jobs.sqlite3")
    yield s
    s.close()


@pytest.fixture
def server(tmp_path):
    """(LocalServer with the fast engine and a short pause between versions, RequestLog)."""
    with counting_server(tmp_path / "server", config=ServerConfig(version_delay_s=0.3)) as pair:
        yield pair


@pytest.fixture
def client(server):
    srv, _ = server
    c = MusicGPTClient(srv.base_url, KEY, min_poll_interval=0.2, max_poll_interval=0.5)
    yield c
    c.close()
