"""The typed settings registry over an INI file."""

from __future__ import annotations

import pytest

from inpaint_studio.services import settings as settings_mod
from inpaint_studio.services.settings import (
    MAX_RECENT,
    SCHEMA_VERSION,
    RecentList,
    Settings,
    declare,
)


def test_defaults_types_and_persistence(tmp_path, qapp):
    path = tmp_path / "s.ini"
    s = Settings(path)
    assert s.get("region/warn_shorter_than") == 3.0
    assert s.get("files/recent") == []
    s.set("region/warn_shorter_than", 2)
    changes = []
    s.changed.connect(lambda k, v: changes.append((k, v)))
    s.set("files/last_dir", "/music")
    assert changes == [("files/last_dir", "/music")]
    s.flush()
    again = Settings(path)
    assert again.get("region/warn_shorter_than") == 2.0
    assert isinstance(again.get("region/warn_shorter_than"), float)
    assert again.get("files/last_dir") == "/music"
    text = path.read_text()
    assert f"schema_version={SCHEMA_VERSION}" in text
    again.reset("files/last_dir")
    assert again.get("files/last_dir") == ""


def test_default_location_is_the_config_dir(studio_home, qapp):
    s = Settings()
    s.set("files/last_dir", "/x")
    s.flush()
    assert s.path.parent == studio_home / "config"
    assert s.path.exists()


def test_undeclared_and_conflicting_keys(tmp_path, qapp):
    s = Settings(tmp_path / "s.ini")
    with pytest.raises(KeyError, match="undeclared"):
        s.get("nope/key")
    declare("tests/flag", bool, False, "a test flag")
    declare("tests/flag", bool, False, "a test flag")  # the same declaration again is fine
    with pytest.raises(ValueError):
        declare("tests/flag", int, 3, "different")
    s.set("tests/flag", True)
    assert Settings(tmp_path / "s.ini").get("tests/flag") is True
    del settings_mod.REGISTRY["tests/flag"]


def test_corrupt_value_falls_back_to_default(tmp_path, qapp):
    path = tmp_path / "s.ini"
    path.write_text("[region]\nwarn_longer_than=lots\n")
    assert Settings(path).get("region/warn_longer_than") == 60.0


def test_recent_files(tmp_path, qapp):
    s = Settings(tmp_path / "s.ini")
    for i in range(MAX_RECENT + 3):
        s.add_recent(tmp_path / f"{i}.mp3")
    recent = s.recent_files()
    assert len(recent) == MAX_RECENT and recent[0].endswith(f"{MAX_RECENT + 2}.mp3")
    s.add_recent(tmp_path / "5.mp3")
    assert s.recent_files()[0].endswith("5.mp3") and len(s.recent_files()) == MAX_RECENT
    assert Settings(tmp_path / "s.ini").recent_files() == s.recent_files()
    s.remove_recent(s.recent_files()[0])
    assert not s.recent_files()[0].endswith("5.mp3")
    one = Settings(tmp_path / "one.ini")
    one.add_recent("/a/b.mp3")  # a one-item list survives the INI round trip as a list
    assert Settings(tmp_path / "one.ini").recent_files() == ["/a/b.mp3"]


def test_recent_list_of_projects(tmp_path, qapp, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings(tmp_path / "s.ini")
    projects = RecentList(s, "projects/recent", limit=2)
    projects.add("a.inpaint")
    projects.add(tmp_path / "b.inpaint")
    assert projects.add("a.inpaint") == str(tmp_path / "a.inpaint")  # stored absolute, once
    assert projects.paths() == [str(tmp_path / "a.inpaint"), str(tmp_path / "b.inpaint")]
    projects.add("c.inpaint")
    assert projects.paths() == [str(tmp_path / "c.inpaint"), str(tmp_path / "a.inpaint")]
    projects.remove("c.inpaint")
    assert Settings(tmp_path / "s.ini").get("projects/recent") == [str(tmp_path / "a.inpaint")]
    assert s.recent_files() == []  # the songs' list is another key
    with pytest.raises(TypeError):
        RecentList(s, "files/last_dir")
