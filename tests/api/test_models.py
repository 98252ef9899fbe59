"""The request model's checks, and parsing of the documented answers (examples from openapi.json
and the API notes) into SubmitResult / Task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inpaint_studio.api.models import (
    InpaintRequest,
    Limits,
    SubmitResult,
    Task,
    TaskStatus,
    parse_timestamped,
)

SPEC = json.loads((Path(__file__).parents[1] / "data" / "openapi.json").read_text())


def example(path: str, method: str) -> dict:
    return SPEC["paths"][path][method]["responses"]["200"]["content"]["application/json"][
        "example"]


def errors(req: InpaintRequest, **kw) -> dict[str, str]:
    return {i.field: i.message for i in req.validate(**kw) if i.severity == "error"}


def warnings(req: InpaintRequest, **kw) -> dict[str, str]:
    return {i.field: i.message for i in req.validate(**kw) if i.severity == "warning"}


@pytest.fixture
def ok(tmp_path) -> InpaintRequest:
    song = tmp_path / "song.mp3"
    song.write_bytes(b"ID3 not really audio, only its existence is checked here")
    return InpaintRequest(audio_path=str(song), prompt="warm piano", replace_start_at=10.0,
                          replace_end_at=20.0)


def test_a_sound_request_has_no_issues(ok):
    assert ok.validate(song_duration=60.0) == []


def test_documented_limits_are_errors(ok):
    cases = {
        "prompt": dict(prompt="  "),
        "replace_end_at": dict(replace_end_at=10.0),
        "replace_start_at": dict(replace_start_at=-1.0),
        "lyrics_section_to_replace": dict(lyrics_section_to_replace="x" * 3001),
        "gender": dict(gender="robot"),
        "num_outputs": dict(num_outputs=3),
        "webhook_url": dict(webhook_url="ftp://example.invalid/hook"),
    }
    for field, change in cases.items():
        req = InpaintRequest(**{**ok.__dict__, **change})
        assert field in errors(req), field
    assert "num_outputs" in errors(InpaintRequest(**{**ok.__dict__, "num_outputs": True}))
    assert errors(InpaintRequest(**{**ok.__dict__, "lyrics_section_to_replace": "x" * 3000})) \
        == {}
    for gender in ("male", "female", "neutral"):
        assert errors(InpaintRequest(**{**ok.__dict__, "gender": gender})) == {}


def test_exactly_one_audio_source(ok, tmp_path):
    assert "audio_file" in errors(InpaintRequest(**{**ok.__dict__, "audio_url": "https://a/b"}))
    assert "audio_file" in errors(InpaintRequest(**{**ok.__dict__, "audio_path": None}))
    assert "audio_file" in errors(InpaintRequest(**{**ok.__dict__,
                                                    "audio_path": str(tmp_path / "gone.mp3")}))
    by_url = InpaintRequest(**{**ok.__dict__, "audio_path": None, "audio_url": "file:///x.mp3"})
    assert "audio_url" in errors(by_url)


def test_region_against_the_song(ok):
    assert "replace_end_at" in errors(ok, song_duration=15.0)
    assert "replace_end_at" not in errors(ok, song_duration=20.0)


def test_inferred_limits_are_warnings_and_configurable(ok):
    long = InpaintRequest(**{**ok.__dict__, "prompt": "p" * 1001, "lyrics": "l" * 5001,
                             "replace_start_at": 0.0, "replace_end_at": 61.0})
    w = warnings(long, song_duration=100.0)
    assert set(w) >= {"prompt", "lyrics", "replace_end_at"}
    assert errors(long, song_duration=100.0) == {}
    short = InpaintRequest(**{**ok.__dict__, "replace_end_at": 12.0})
    assert "3 s" in warnings(short)["replace_end_at"]
    strict = Limits(inferred_severity="error", region_min_s=1.0)
    assert set(errors(long, limits=strict, song_duration=100.0)) >= {"prompt", "lyrics"}
    assert warnings(short, limits=Limits(region_min_s=1.0)) == {}
    assert "50%" in warnings(ok, song_duration=18.0)["replace_end_at"]


def test_form_fields_carry_every_documented_field(ok):
    req = InpaintRequest(audio_url="https://cdn.example/song.mp3", prompt="p",
                         replace_start_at=12.5, replace_end_at=20, lyrics="all", gender="male",
                         lyrics_section_to_replace="new", num_outputs=1, title="T",
                         generate_album_cover=True, lyrics_timestamps=True,
                         webhook_url="https://example.com/hook")
    fields = dict(req.form_fields())
    assert fields == {
        "audio_url": "https://cdn.example/song.mp3", "prompt": "p", "replace_start_at": "12.5",
        "replace_end_at": "20.0", "lyrics": "all", "lyrics_section_to_replace": "new",
        "gender": "male", "title": "T", "webhook_url": "https://example.com/hook",
        "num_outputs": "1", "generate_album_cover": "true", "lyrics_timestamps": "true"}


def test_every_documented_status_and_unknown_ones():
    for name in ("IN_QUEUE", "IN_PROGRESS", "PENDING", "PROCESSING"):
        status = TaskStatus.parse(name)
        assert status.value == name and not status.is_terminal
    assert TaskStatus.parse("COMPLETED").is_terminal and not TaskStatus.COMPLETED.is_failure
    assert TaskStatus.parse("failed") is TaskStatus.FAILED and TaskStatus.FAILED.is_failure
    assert TaskStatus.parse("ERROR").is_failure and TaskStatus.ERROR.is_terminal
    assert TaskStatus.parse("CANCELLED_BY_MODERATOR") is TaskStatus.UNKNOWN
    assert TaskStatus.parse(None) is TaskStatus.UNKNOWN
    assert not TaskStatus.UNKNOWN.is_terminal


def test_submit_example_from_the_spec():
    result = SubmitResult.from_wire(example("/v1/inpaint", "post"))
    assert result.task_id == "070093dd-f1e9-4d7e-a6b3-ab6ecd237e38"
    assert result.conversion_ids == ["7cac10af-9007-449f-b3ab-f60b05d23309",
                                     "e85848c9-8feb-4cd8-85ef-456651a697b5"]
    assert (result.eta, result.credit_estimate) == (123, 0.12)
    assert result.status is TaskStatus.IN_QUEUE
    assert SubmitResult.from_wire({"task_id": "t", "eta": -1}).eta is None
    with pytest.raises(ValueError):
        SubmitResult.from_wire({"success": True})


def test_byid_example_from_the_spec_gives_both_versions():
    task = Task.from_wire(example("/v1/byId", "get"))
    assert task.status is TaskStatus.COMPLETED
    v1, v2 = task.versions
    assert (v1.index, v2.index) == (1, 2)
    assert v1.conversion_id == "5400f093-4321-56ab-84df-6630f448ff52"
    assert v1.mp3_url.endswith(".mp3") and v1.wav_url.endswith(".wav")
    assert (v1.duration, v2.duration) == (208.28, 247.84)
    assert v1.title == "Sugar Cup"
    assert v1.lyrics_timestamped is None  # the example's "..." is not JSON; never fatal
    assert task.album_cover_url.endswith(".jpg")
    assert task.version("ac5e80ee-504c-58c4-b028-265effb05ff7") is v2


def test_partial_task_has_version_one_only():
    conv = {"task_id": "t", "status": "IN_PROGRESS", "conversion_id_1": "a",
            "conversion_id_2": "b", "conversion_path_1": "https://cdn/a.mp3",
            "conversion_path_2": "", "conversion_path_wav_1": ""}
    task = Task.from_wire({"success": True, "conversion": conv})
    assert [v.index for v in task.versions] == [1]
    assert task.versions[0].wav_url is None  # WAV delivery is optional
    assert task.conversion_ids == ["a", "b"]


def test_timestamped_lyrics_from_the_webhook_doc():
    text = ('[{"start": 9880, "end": 35120, "text": "[Verse]", "index": 0}, '
            '{"start": 9880, "end": 10720, "text": "first line", "index": 1}]')
    conv = {"task_id": "t", "status": "COMPLETED", "conversion_path_1": "https://c/a.mp3",
            "lyrics_timestamped_1": text}
    lines = Task.from_wire({"conversion": conv}).versions[0].lyrics_timestamped
    assert [line["text"] for line in lines] == ["[Verse]", "first line"]
    assert lines[1]["end"] == 10720
    assert parse_timestamped("not json") is None
    assert parse_timestamped([{"start": 1}, 5]) == [{"start": 1}]


def test_legacy_and_failed_shapes():
    legacy = {"success": True, "conversion": {
        "task_id": "t", "conversion_id": "c", "status": "COMPLETED",
        "status_msg": "Conversion successful", "audio_url": "https://c/x.mp3",
        "conversion_cost": 1.25, "title": "Old", "lyrics": "la"}}
    task = Task.from_wire(legacy)
    assert task.versions[0].mp3_url == "https://c/x.mp3" and task.versions[0].title == "Old"
    assert task.message == "Conversion successful"
    failed = {"success": True, "conversion": {"task_id": "t", "status": "FAILED",
                                              "message": "GPU on fire", "status_msg": "x"}}
    task = Task.from_wire(failed)
    assert task.status.is_failure and task.message == "GPU on fire" and task.versions == []
    with pytest.raises(ValueError):
        Task.from_wire({"success": True})
    with pytest.raises(ValueError):
        Task.from_wire(["not", "a", "dict"])
