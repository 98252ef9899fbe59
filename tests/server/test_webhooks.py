"""Webhooks (§4 of the API notes) to a loopback receiver: the five payloads, their shapes, and
that a failing webhook never fails the job."""

from __future__ import annotations

import time

from tests.server.conftest import Receiver


def _until(predicate, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not predicate():
        time.sleep(0.05)


def test_all_payloads_with_their_documented_fields(api, live, song, receiver):
    task = api.submit(song, webhook_url=receiver.url, lyrics_timestamps="true",
                      generate_album_cover="true", title="Hooked", lyrics="la").json()
    done = api.wait(task["task_id"])[-1]["conversion"]
    _until(lambda: len(receiver.posts) >= 5)
    posts = [p["json"] for p in receiver.posts]
    assert all(p["type"] == "application/json" for p in receiver.posts)
    by_kind: dict[str, list[dict]] = {}
    for p in posts:
        by_kind.setdefault(p["subtype"], []).append(p)
    assert {k: len(v) for k, v in by_kind.items()} == {
        "remix": 2, "lyrics_timestamped": 2, "album_cover_generation": 1}
    ids = {task["conversion_id_1"], task["conversion_id_2"]}
    for p in by_kind["remix"]:
        assert set(p) == {"success", "conversion_type", "subtype", "task_id", "conversion_id",
                          "conversion_path", "conversion_path_wav", "conversion_duration",
                          "title", "lyrics", "lyrics_timestamped", "is_flagged", "reason"}
        assert p["conversion_type"] == "Inpaint" and p["task_id"] == task["task_id"]
        assert p["conversion_path"].endswith(p["conversion_id"] + ".mp3")
        assert p["title"] == "Hooked" and p["lyrics"] == "la"
    assert {p["conversion_id"] for p in by_kind["remix"]} == ids
    for p in by_kind["lyrics_timestamped"]:
        assert set(p) == {"success", "conversion_type", "subtype", "task_id", "conversion_id",
                          "lyrics_timestamped"}
        assert isinstance(p["lyrics_timestamped"], str)  # a JSON string, as documented
    cover = by_kind["album_cover_generation"][0]
    assert cover["image_path"] == done["album_cover_path"] and cover["image_paths"] == [
        done["album_cover_path"]]
    assert cover["thumbnail_path"] == done["album_cover_thumbnail"]
    import requests

    image = requests.get(cover["image_path"], timeout=10)
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"  # a real JPEG


def test_no_webhook_without_url_or_flags(api, song, receiver):
    task = api.submit(song, webhook_url=receiver.url, num_outputs=1).json()
    api.wait(task["task_id"])
    _until(lambda: len(receiver.posts) >= 1)
    time.sleep(0.3)
    assert [p["json"]["subtype"] for p in receiver.posts] == ["remix"]


def test_failing_webhooks_are_retried_and_never_fail_the_job(api, live, song, receiver):
    receiver.status = 500
    live.webhooks.attempts = 2
    task = api.submit(song, webhook_url=receiver.url, num_outputs=1).json()
    assert api.wait(task["task_id"])[-1]["conversion"]["status"] == "COMPLETED"
    _until(lambda: len(receiver.posts) >= 2)
    assert len(receiver.posts) == 2  # one event, two attempts
    gone = Receiver()
    gone.close()  # nothing listens there any more
    task = api.submit(song, webhook_url=gone.url, num_outputs=1).json()
    assert api.wait(task["task_id"])[-1]["conversion"]["status"] == "COMPLETED"
    live.webhooks.attempts = 3


def test_a_hung_webhook_receiver_times_out_and_never_holds_up_the_job(api, live, song,
                                                                      receiver):
    receiver.hold = True  # answers nothing until released
    live.webhooks.timeout, live.webhooks.attempts = 0.3, 2
    try:
        task = api.submit(song, webhook_url=receiver.url, num_outputs=1).json()
        assert api.wait(task["task_id"])[-1]["conversion"]["status"] == "COMPLETED"
        _until(lambda: len(receiver.posts) >= 2)  # the first attempt timed out: tried again
        # Both attempts were made, and the job completed, while the receiver had answered
        # neither: the sender waited for no answer and the job for no webhook. (How long a job
        # takes is measured in benchmarks/, not bounded here.)
        assert len(receiver.posts) == 2 and receiver.answered == 0
    finally:
        receiver.release.set()
        live.webhooks.timeout, live.webhooks.attempts = 10.0, 3
        receiver.hold = False
