"""The client against the real local server over loopback: the happy paths."""

from __future__ import annotations

import shutil
import time

from inpaint_studio.api.download import result_filename
from inpaint_studio.api.models import InpaintRequest, TaskStatus
from inpaint_studio.core.decode import load_audio


def request(song, **kw) -> InpaintRequest:
    base = dict(audio_path=str(song), prompt="bright guitar", replace_start_at=5.0,
                replace_end_at=12.0)
    return InpaintRequest(**{**base, **kw})


def run_to_end(client, result):
    seen = []
    gen = client.wait(result.task_id, eta=result.eta, deadline_s=60)
    try:
        while True:
            seen.append(next(gen))
    except StopIteration as stop:
        return stop.value, seen


def test_check_key(client):
    client.check_key()


def test_upload_wait_download_both_versions(client, live, song, tmp_path):
    progress: list[tuple[int, int]] = []
    before = live.submit_count
    result = client.submit_inpaint(request(song, title="Take"),
                                   progress=lambda d, t: progress.append((d, t)))
    assert live.submit_count == before + 1
    assert len(result.conversion_ids) == 2 and result.status is TaskStatus.IN_QUEUE
    assert result.eta and result.eta > 0 and result.credit_estimate == 0.12
    assert "own material" in result.message and "cannot be sung" in result.message
    sent = [d for d, _ in progress]
    assert sent == sorted(sent) and sent[-1] == progress[-1][1] > song.stat().st_size

    final, seen = run_to_end(client, result)
    assert final.status is TaskStatus.COMPLETED and seen[-1] is final
    # Partial results: a poll saw version 1 alone before version 2 appeared.
    assert any([v.index for v in t.versions] == [1] for t in seen)
    assert [v.conversion_id for v in final.versions] == result.conversion_ids
    original = load_audio(song)
    for version in final.versions:
        assert version.title == "Take" and version.lyrics_timestamped == []
        assert abs(version.duration - original.duration) < 0.1
        for url, suffix in ((version.mp3_url, ".mp3"), (version.wav_url, ".wav")):
            got: list[int] = []
            target = tmp_path / result_filename(version.conversion_id, suffix)
            path = client.download(url, target, progress=lambda d, t, got=got: got.append(d))
            assert path == target and got[-1] == target.stat().st_size
            audio = load_audio(path)
            assert abs(audio.duration - original.duration) < 0.1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        result_filename(c, s) for c in result.conversion_ids for s in (".mp3", ".wav"))


def test_one_output_gives_one_version(client, song):
    result = client.submit_inpaint(request(song, num_outputs=1))
    assert len(result.conversion_ids) == 1 and "conversion_id_2" not in result.raw
    final, _ = run_to_end(client, result)
    assert [v.index for v in final.versions] == [1]
    assert not any(k.endswith("_2") for k in final.raw["conversion"])


def test_submit_by_audio_url(client, song, file_host):
    root, url = file_host
    shutil.copy(song, root / "hosted.mp3")
    result = client.submit_inpaint(InpaintRequest(audio_url=f"{url}/hosted.mp3", prompt="p",
                                                  replace_start_at=2.0, replace_end_at=9.0))
    assert result.eta is None  # the duration is unknown until fetched: eta -1
    final, _ = run_to_end(client, result)
    assert final.status is TaskStatus.COMPLETED and len(final.versions) == 2


def test_poll_interval_follows_eta_and_respects_the_plan(live):
    from inpaint_studio.api.client import MusicGPTClient

    free = MusicGPTClient(live.base_url, "k", plan="free", min_poll_interval=0.01)
    assert free.poll_interval(eta=5, elapsed=0, polls=0) == 3.0  # 20 calls/min
    pro = MusicGPTClient(live.base_url, "k", plan="pro", min_poll_interval=0.01)
    assert pro.poll_interval(eta=5, elapsed=0, polls=0) == 0.5
    assert pro.poll_interval(eta=None, elapsed=0, polls=0) == 3.0
    assert pro.poll_interval(eta=100, elapsed=0, polls=0) == 10.0
    assert pro.poll_interval(eta=100, elapsed=250, polls=9) == 15.0  # slows down after eta
    assert pro.poll_interval(eta=1, elapsed=0, polls=0) == 0.12  # 500 calls/min floor


def test_status_calls_are_paced_to_the_plan(live, key):
    from inpaint_studio.api.client import MusicGPTClient
    from inpaint_studio.api.errors import NotFound

    plus = MusicGPTClient(live.base_url, key, plan="plus")  # 200/min → 0.3 s apart
    t0 = time.monotonic()
    for _ in range(4):
        try:
            plus.get_task("00000000-0000-0000-0000-000000000000")
        except NotFound:
            pass
    assert time.monotonic() - t0 >= 0.9


def test_loopback_is_never_proxied_and_plain_http_elsewhere_is_refused(live, key, monkeypatch):
    import pytest

    from inpaint_studio.api.client import MusicGPTClient
    from inpaint_studio.api.retry import RetryPolicy

    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9/")  # would fail if it were used
    monkeypatch.setenv("NETRC", "/nonexistent")
    MusicGPTClient(live.base_url, key, retry=RetryPolicy(attempts=1)).check_key()
    with pytest.raises(ValueError, match="plain http") as info:
        MusicGPTClient("http://api.example.com/api/public", key)
    assert key not in str(info.value)
