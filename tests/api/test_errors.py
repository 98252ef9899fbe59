"""The one response → typed error mapping, on the bodies the docs and notes show (no server)."""

from __future__ import annotations

import json

from inpaint_studio.api.errors import (
    AuthError,
    BadResponse,
    Conflict,
    CreditError,
    NotFound,
    RateLimited,
    RequestInvalid,
    ServerError,
    error_from_response,
)


def err(status, body, headers=None, secret=None):
    raw = json.dumps(body) if isinstance(body, dict | list) else body
    return error_from_response(status, raw, headers or {}, secret=secret)


def test_auth():
    e = err(401, {"success": False, "error": "Authentication failed"})
    assert isinstance(e, AuthError) and "Authentication failed" in e.user_message
    assert "key" in e.user_message and "Settings" in e.user_message
    assert isinstance(err(403, {"message": "Forbidden"}), AuthError)


def test_credit_bodies_of_every_documented_kind():
    e = err(402, {"success": False, "error": "Insufficient credits for this operation",
                  "required_credits": 25.0, "available_credits": 10.0})
    assert isinstance(e, CreditError) and (e.required, e.available) == (25.0, 10.0)
    assert "needs 25" in e.user_message and "balance is 10" in e.user_message
    for body in ({"success": False, "error": "Insufficient credit balance"},
                 {"success": False, "message": "Insufficient credit balance"}):
        e = err(402, body)
        assert isinstance(e, CreditError) and e.required is None
        assert "Insufficient credit balance" in e.user_message


def test_not_found_and_conflict():
    e = err(404, {"success": False, "message": "Conversion not found"})
    assert isinstance(e, NotFound) and "Conversion not found" in e.user_message
    assert isinstance(err(409, {"error": "duplicate"}), Conflict)


def test_422_documented_body_names_the_fields():
    e = err(422, {"success": False,
                  "message": "audio_file or audio_url and valid replace range are required."})
    assert isinstance(e, RequestInvalid)
    assert set(e.fields) >= {"audio_file", "audio_url", "replace_start_at", "replace_end_at"}


def test_422_fastapi_detail_list_names_the_fields():
    body = {"detail": [{"loc": ["body", "prompt"], "msg": "field required",
                        "type": "value_error.missing"},
                       {"loc": ["body", "replace_end_at"], "msg": "value is not a valid float",
                        "type": "type_error.float"}]}
    e = err(422, body)
    assert e.fields == ["prompt", "replace_end_at"]
    assert "prompt: field required" in e.user_message
    assert "replace_end_at: value is not a valid float" in e.user_message


def test_429_reads_retry_after():
    e = err(429, {"message": "too many parallel requests"}, {"Retry-After": "7"})
    assert isinstance(e, RateLimited) and e.retry_after == 7.0 and "7 s" in e.user_message
    assert err(429, "", {}).retry_after is None


def test_retry_after_as_an_http_date():
    import email.utils

    from inpaint_studio.api.errors import retry_after_seconds

    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 42, usegmt=True)  # "Fri, 15 Jan 2027 08:00:42 GMT"
    assert retry_after_seconds({"Retry-After": date}, now=now) == 42.0
    past = email.utils.formatdate(now - 10, usegmt=True)
    assert retry_after_seconds({"Retry-After": past}, now=now) == 0.0
    assert retry_after_seconds({"Retry-After": "soon"}, now=now) is None


def test_5xx_including_the_specs_misspelling():
    e = err(500, {"success": False, "messsage": "Internal Server Error"})
    assert isinstance(e, ServerError) and "Internal Server Error" in e.user_message
    e = err(503, "<html><body>Service Unavailable</body></html>")
    assert isinstance(e, ServerError) and e.status == 503


def test_message_then_error_then_detail():
    assert "first" in err(400, {"message": "first", "error": "second", "detail": "third"}
                          ).user_message
    assert "second" in err(400, {"error": "second", "detail": "third"}).user_message
    assert "third" in err(400, {"detail": "third"}).user_message


def test_non_json_and_unexpected_json():
    e = err(200, "<html>maintenance</html>")
    assert isinstance(e, BadResponse) and "maintenance" in e.user_message
    assert isinstance(err(200, ""), BadResponse)
    assert isinstance(err(418, {"what": 1}), BadResponse)


def test_key_echoed_by_a_server_is_scrubbed(key, clean):
    e = err(401, {"error": f"key {key} is not valid"}, secret=key)
    clean(e)
    assert key not in json.dumps(e.body)  # the parsed body kept for logs is scrubbed too
    e = err(422, {"detail": [{"loc": ["header", key], "msg": f"bad {key}", "input": key}]},
            secret=key)
    clean(e)
    assert key not in json.dumps(e.body) and key not in e.user_message
    e = err(200, f"<html>{key}</html>", secret=key)
    clean(e)
    assert key not in json.dumps(e.body)
