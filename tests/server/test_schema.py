"""Every /v1/inpaint and /v1/byId answer of the local server validates against the official
OpenAPI schemas (tests/data/openapi.json), and the client's requests validate against the
request schema."""

from __future__ import annotations

import email.parser
import email.policy

import jsonschema
import pytest
import requests

from inpaint_studio.api.models import InpaintRequest
from inpaint_studio.api.multipart import MultipartBody
from tests.server.conftest import SPEC, check_schema, response_schema


def test_submit_answers_have_every_documented_field(api, song):
    for resp in (api.submit(song), api.submit(song, gender="female", num_outputs="2",
                                              lyrics="la la", lyrics_section_to_replace="new",
                                              title="T", generate_album_cover="false",
                                              lyrics_timestamps="true")):
        assert resp.status_code == 200
        body = check_schema("/v1/inpaint", "post", resp)
        assert set(body) == set(response_schema("/v1/inpaint", "post", 200)["properties"])
        assert body["success"] is True and body["status"] == "IN_QUEUE"
        assert isinstance(body["eta"], int) and body["credit_estimate"] == 0.12


def test_one_output_leaves_out_the_second_id(api, song):
    body = check_schema("/v1/inpaint", "post", api.submit(song, num_outputs=1))
    assert "conversion_id_2" not in body and body["credit_estimate"] == 0.06


@pytest.mark.slow
def test_urlencoded_and_json_bodies_are_accepted(api, live, song, tmp_path):
    # A song the server can fetch: the result of an earlier task, on the server itself.
    first = api.submit(song, num_outputs=1).json()
    done = api.wait(first["task_id"])[-1]["conversion"]
    url = done["conversion_path_1"]
    resp = api.submit(None, audio_url=url)  # application/x-www-form-urlencoded
    assert resp.status_code == 200 and check_schema("/v1/inpaint", "post", resp)
    resp = requests.post(f"{api.base}/v1/inpaint", headers=api.headers(), timeout=30,
                         json={"audio_url": url, "prompt": "p", "replace_start_at": 1,
                               "replace_end_at": 4.5, "num_outputs": 1})
    assert resp.status_code == 200 and check_schema("/v1/inpaint", "post", resp)
    assert api.wait(resp.json()["task_id"])[-1]["conversion"]["status"] == "COMPLETED"


def test_422_bodies(api, song):
    cases = [
        ({"prompt": ""}, "audio_file or audio_url and valid replace range are required."),
        ({"replace_end_at": 1.0}, "valid replace range"),
        ({"replace_start_at": "soon"}, "must be a number"),
        ({"gender": "robot"}, "gender must be one of male, female, neutral"),
        ({"num_outputs": 3}, "num_outputs must be 1 or 2"),
        ({"lyrics_section_to_replace": "x" * 3001}, "at most 3000 characters"),
        ({"replace_end_at": 99.0}, "after the end of the song"),
        ({"webhook_url": "ftp://x"}, "webhook_url must be an http(s) URL"),
    ]
    for fields, text in cases:
        resp = api.submit(song, **fields)
        assert resp.status_code == 422, fields
        body = check_schema("/v1/inpaint", "post", resp)
        assert body["success"] is False and text in body["message"], (fields, body)
    resp = api.submit(None)  # no audio at all
    assert resp.json()["message"] == "audio_file or audio_url and valid replace range are " \
        "required."


def test_422_fastapi_style(api, live, song):
    live.config.validation_style = "fastapi"
    try:
        resp = requests.post(f"{api.base}/v1/inpaint", headers=api.headers(), timeout=30,
                             data={"replace_start_at": 1})
    finally:
        live.config.validation_style = "documented"
    assert resp.status_code == 422
    body = check_schema("/v1/inpaint", "post", resp)
    assert {d["loc"][-1] for d in body["detail"]} == {"prompt", "audio_file", "replace_end_at"}


def test_500_body_uses_the_specs_spelling(api, live, song):
    live.faults.server_error_next = 1
    resp = api.submit(song)
    assert resp.status_code == 500
    assert check_schema("/v1/inpaint", "post", resp) == {"success": False,
                                                         "messsage": "Internal Server Error"}


def test_byid_answers_through_the_lifecycle(api, song):
    task = api.submit(song, title="Mine", lyrics="words").json()
    seen = api.wait(task["task_id"])  # each answer is schema-checked on the way
    statuses = [s["conversion"]["status"] for s in seen]
    assert statuses[-1] == "COMPLETED" and set(statuses) <= {"IN_QUEUE", "IN_PROGRESS",
                                                            "COMPLETED"}
    partial = [s["conversion"] for s in seen if s["conversion"]["conversion_path_1"]
               and not s["conversion"]["conversion_path_2"]]
    assert partial and partial[0]["status"] == "IN_PROGRESS"
    assert "conversion_duration_2" not in partial[0]
    done = seen[-1]["conversion"]
    documented = set(response_schema("/v1/byId", "get", 200)["properties"]["conversion"][
        "properties"])
    assert documented <= set(done)
    assert done["feature"] == "INPAINT" and done["title_1"] == "Mine"
    assert done["lyrics_1"] == "words" and done["lyrics_timestamped_1"] == "[]"
    assert done["conversion_path_1"].endswith(f"{done['conversion_id_1']}.mp3")
    assert done["conversion_path_wav_2"].endswith(f"{done['conversion_id_2']}.wav")
    assert done["message"] == "Both conversions received"


def test_failed_task_shape(api, live, song):
    live.faults.fail_jobs = "No material in this song fits the gap."
    task = api.submit(song).json()
    conv = api.wait(task["task_id"])[-1]["conversion"]
    assert conv["status"] == "FAILED"
    assert conv["message"] == conv["status_msg"] == "No material in this song fits the gap."
    assert set(conv) >= {"task_id", "conversion_id_1", "conversion_id_2", "createdAt",
                         "updatedAt"}


def test_byid_400_and_404(api):
    for params in ({"conversionType": "NOPE", "task_id": "x"}, {"task_id": "x",
                   "conversion_id": "y"}, {}):
        resp = requests.get(f"{api.base}/v1/byId", headers=api.headers(), params=params,
                            timeout=10)
        assert resp.status_code == 400
        assert check_schema("/v1/byId", "get", resp) == {"success": False,
                                                         "message": "Invalid request parameters"}
    resp = api.by_id(task_id="00000000-0000-0000-0000-000000000000")
    assert resp.status_code == 404 and resp.json() == {"success": False,
                                                       "message": "Conversion not found"}


def _coerce(fields: dict, schema: dict) -> dict:
    out = {}
    for name, value in fields.items():
        kind = schema["properties"][name]["type"]
        out[name] = {"number": float, "boolean": lambda v: v == "true"}.get(kind, str)(value)
    return out


def test_client_requests_validate_against_the_request_schema(song):
    schema = SPEC["paths"]["/v1/inpaint"]["post"]["requestBody"]["content"][
        "multipart/form-data"]["schema"]
    full = InpaintRequest(audio_path=str(song), prompt="p", replace_start_at=1.5,
                          replace_end_at=7, lyrics="l", lyrics_section_to_replace="s",
                          gender="neutral", num_outputs=1, title="t",
                          generate_album_cover=True, lyrics_timestamps=True,
                          webhook_url="https://example.com/hook")
    minimal = InpaintRequest(audio_url="https://example.com/a.mp3", prompt="p",
                             replace_start_at=0, replace_end_at=8)
    for req in (full, minimal):
        body = MultipartBody(req.form_fields(), "audio_file" if req.audio_path else None,
                             req.audio_path)
        head = f"Content-Type: {body.content_type}\r\n\r\n".encode()
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            head + b"".join(body))
        fields = {p.get_param("name", header="content-disposition"):
                  p.get_payload(decode=True).decode("latin-1") for p in msg.iter_parts()}
        jsonschema.validate(_coerce(fields, schema), schema)
