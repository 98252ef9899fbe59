"""Clients nobody here wrote read and drive the local server with only the host changed: the
documented Python `requests` sample (from openapi.json), the curl form of the docs, and the
official `musicgpt` Python SDK from PyPI."""

from __future__ import annotations

import ast
import contextlib
import enum
import io
import json
import os
import subprocess

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.encode import encode_audio
from tests.server.conftest import KEY, SPEC, Api, check_schema

REAL_HOST = "https://api.wav.com"


@pytest.fixture(scope="module")
def long_song(tmp_path_factory):
    """24 s, so the samples' 12.5–20.0 s range fits."""
    rate = 22050
    t = np.arange(int(24.0 * rate)) / rate
    audio = Audio(np.asarray([0.25 * np.sin(2 * np.pi * 220.0 * t)], dtype=np.float32), rate)
    path = tmp_path_factory.mktemp("samples") / "song.mp3"
    encode_audio(audio, path)
    return path


def sample_source() -> str:
    (sample,) = [s["source"] for s in SPEC["paths"]["/v1/inpaint"]["post"]["x-codeSamples"]
                 if s["lang"] == "Python"]
    return sample


def run_sample(code: str, cwd) -> dict:
    out = io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "openapi-sample.py", "exec"), {})  # noqa: S102
    finally:
        os.chdir(here)
    return ast.literal_eval(out.getvalue().strip())


def host_only(code: str, server) -> str:
    host = server.base_url.split("/api/public")[0]
    code = code.replace(REAL_HOST, host).replace("<API_KEY>", KEY)
    # The one defect of the published sample: its last line is indented by one space.
    return code.replace("\n print(response.json())", "\nprint(response.json())")


def test_the_documented_python_sample_works_by_url_and_by_file(live, long_song):
    api = Api(live)
    first = api.submit(long_song, num_outputs=1, replace_start_at=1, replace_end_at=5).json()
    song_url = api.wait(first["task_id"])[-1]["conversion"]["conversion_path_1"]
    code = host_only(sample_source(), live)
    by_url = run_sample(code.replace("<YOUR_AUDIO_URL>", song_url), long_song.parent)
    # Option 2 of the sample: the commented file upload instead of the URL.
    lines = code.splitlines()
    upload = [ln[2:] if ln.startswith("# ") and ("open(" in ln or "files" in ln) else ln
              for ln in lines if not ln.startswith(('data["audio_url"]', "response = "))]
    by_file = run_sample("\n".join(upload), long_song.parent)
    for body in (by_url, by_file):
        assert body["success"] is True and body["status"] == "IN_QUEUE"
        done = api.wait(body["task_id"])[-1]["conversion"]
        assert done["status"] == "COMPLETED" and done["title_1"] == "My Generated Track"


def test_curl_with_form_fields(live, long_song):
    base = live.base_url
    out = subprocess.run(
        ["curl", "-sS", "--request", "POST", "--url", f"{base}/v1/inpaint",
         "--header", f"Authorization: {KEY}", "--header", "Content-Type: multipart/form-data",
         "-F", f"audio_file=@{long_song}", "-F", "prompt=Add a soft guitar solo here",
         "-F", "replace_start_at=12.5", "-F", "replace_end_at=20.0", "-F", "gender=male",
         "-F", "num_outputs=2", "-F", "lyrics_timestamps=false"],
        capture_output=True, text=True, check=True, timeout=60)
    body = json.loads(out.stdout)
    assert body["success"] is True and body["conversion_id_2"]
    Api(live).wait(body["task_id"])
    out = subprocess.run(
        ["curl", "-sS", "--request", "GET", "--url",
         f"{base}/v1/byId?conversionType=INPAINT&task_id={body['task_id']}",
         "--header", f"Authorization: {KEY}"], capture_output=True, text=True, check=True,
        timeout=30)
    conv = json.loads(out.stdout)["conversion"]
    assert conv["status"] == "COMPLETED" and conv["conversion_path_2"].endswith(".mp3")


class _Type(str, enum.Enum):
    # The SDK's own enum predates inpaint; it only reads `.value` of what it is given.
    INPAINT = "INPAINT"


def test_the_official_musicgpt_sdk_reads_the_task(live, long_song):
    from musicgpt.client import MusicGPTClient as Sdk

    api = Api(live)
    task = api.submit(long_song, replace_start_at=12.5, replace_end_at=20.0).json()
    sdk = Sdk(api_key=KEY, log_level="WARNING")
    sdk.base_url = sdk.base_url.replace("https://api.musicgpt.com", live.base_url.split(
        "/api/public")[0])
    final = sdk.wait_for_completion(task["task_id"], _Type.INPAINT, poll_interval=0.2,
                                    timeout=60)
    conv = final.conversion
    assert final.success is True and conv["status"] == "COMPLETED"
    assert conv["conversion_id_1"] == task["conversion_id_1"]
    by_cid = sdk.get_conversion(_Type.INPAINT, conversion_id=task["conversion_id_2"])
    assert by_cid.conversion["task_id"] == task["task_id"]
    resp = api.by_id(task_id=task["task_id"])
    assert check_schema("/v1/byId", "get", resp)["conversion"] == conv
