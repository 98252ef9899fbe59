"""The redirect rule of api.hops, hop by hop (the loopback cases are tested end to end over HTTP
in tests/server/test_redirects.py)."""

from __future__ import annotations

import pytest

from inpaint_studio.api.hops import HopRule

CDN = "https://93.184.216.34/conversions/v1.wav"  # an address literal: no DNS in tests


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/",
    "https://127.0.0.1:8000/x", "https://localhost/x", "https://10.0.0.5/x",
    "https://192.168.1.1/x", "https://[::1]/x", "https://[fe80::1]/x", "https://0.0.0.0/x",
    "http://93.184.216.35/x",  # leaves https
    "file:///etc/passwd", "ftp://93.184.216.35/x",
])
def test_a_public_download_is_never_redirected_to_this_machine_or_a_private_network(target):
    assert HopRule(CDN).refusal(target)


def test_a_public_download_may_move_to_another_public_https_host():
    assert HopRule(CDN).refusal("https://93.184.216.35/other.wav") is None


@pytest.mark.parametrize("target", ["http://127.0.0.2:8000/x", "http://localhost:8000/x",
                                    "http://169.254.169.254/", "https://93.184.216.34/x"])
def test_a_local_server_download_stays_on_its_host(target):
    assert HopRule("http://127.0.0.1:8000/files/v1.wav").refusal(target)
    assert HopRule("http://127.0.0.1:8000/files/v1.wav").refusal(
        "http://127.0.0.1:8000/files/v1.mp3") is None


def test_same_origin_keeps_scheme_host_and_port():
    rule = HopRule("http://127.0.0.1:9000/song.mp3", same_origin=True)
    assert rule.refusal("http://127.0.0.1:9000/other.mp3") is None
    assert rule.refusal("http://127.0.0.1:9001/other.mp3")
    assert rule.refusal("http://127.0.0.2:9000/other.mp3")
