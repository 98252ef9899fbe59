"""The JSON the local server sends: submit answer (§2.2), byId task (§3.1, failed shape §3.4),
error bodies (§2.3) and webhook payloads (§4), built from a task record. Field names and types
follow the OpenAPI document (tests/data/openapi.json); URLs are made absolute against the
server's own address. (§ numbers: the MusicGPT API notes the client and server were built from,
summarised in docs/ARCHITECTURE.md.)"""

from __future__ import annotations

from typing import Any

LOCAL_NOTE = ("Local engine: a prompt that names instruments or a style is played over the "
              "song's own harmony by the session player (its part also as MIDI); any other "
              "prompt fills the region with the song's own material. New lyrics cannot be sung.")

AUTH_FAILED = {"success": False, "error": "Authentication failed"}
NOT_FOUND = {"success": False, "message": "Conversion not found"}
BAD_PARAMS = {"success": False, "message": "Invalid request parameters"}
REQUIRED_422 = "audio_file or audio_url and valid replace range are required."
SERVER_ERROR = {"success": False, "messsage": "Internal Server Error"}  # sic, as in the spec
RATE_LIMITED = {"success": False, "message": "Too many parallel requests. Please slow down."}


def file_url(base: str, rel: str) -> str:
    return f"{base.rstrip('/')}/files/{rel}"


def submit_body(rec: dict[str, Any]) -> dict[str, Any]:
    ids = rec["conversion_ids"]
    body: dict[str, Any] = {
        "success": True,
        "message": f"Inpaint request submitted successfully. {LOCAL_NOTE}",
        "task_id": rec["task_id"],
        "conversion_id_1": ids[0],
    }
    if len(ids) > 1:
        body["conversion_id_2"] = ids[1]
    body.update(eta=int(rec["eta"]), credit_estimate=float(rec["credit_estimate"]),
                status="IN_QUEUE", is_flagged=False, reason="", error_message="",
                error_message_detail="", missing_input_fields="", predicted_user_intent="")
    return body


def conversion_body(rec: dict[str, Any], base: str) -> dict[str, Any]:
    """`{"success": true, "conversion": {...}}` for byId: every version's fields, empty strings
    for results not ready yet (durations only once known), no `_2` fields for one output."""
    req = rec["request"]
    conv: dict[str, Any] = {
        "task_id": rec["task_id"], "feature": "INPAINT", "status": rec["status"],
        "message": rec.get("message", ""), "status_msg": rec.get("message", ""),
        "webhook_url": req.get("webhook_url") or "",
        "createdAt": rec["created_at"], "updatedAt": rec["updated_at"],
    }
    if rec["status"] in ("FAILED", "ERROR"):  # §3.4: ids, status, reason, times
        for i, cid in enumerate(rec["conversion_ids"], 1):
            conv[f"conversion_id_{i}"] = cid
        return {"success": True, "conversion": conv}
    if rec.get("completed_at"):
        conv["generation_completed_at"] = rec["completed_at"]
    versions = rec.get("versions", {})
    for i, cid in enumerate(rec["conversion_ids"], 1):
        v = versions.get(str(i))
        conv[f"conversion_id_{i}"] = cid
        conv[f"title_{i}"] = v["title"] if v else ""
        conv[f"lyrics_{i}"] = v["lyrics"] if v else ""
        conv[f"sounds_{i}"] = ""
        conv[f"conversion_path_{i}"] = file_url(base, v["mp3"]) if v else ""
        conv[f"conversion_path_wav_{i}"] = file_url(base, v["wav"]) if v else ""
        conv[f"lyrics_timestamped_{i}"] = v["lyrics_timestamped"] if v else ""
        if v and v.get("midi"):
            # A local extension (MusicGPT has no such field): the session player's part.
            conv[f"conversion_path_midi_{i}"] = file_url(base, v["midi"])
        if v:
            conv[f"conversion_duration_{i}"] = float(v["duration"])
    cover = rec.get("album_cover")
    conv["album_cover_path"] = file_url(base, cover) if cover else ""
    conv["album_cover_thumbnail"] = (file_url(base, rec["album_cover_thumb"])
                                     if rec.get("album_cover_thumb") else "")
    conv["is_streaming_request"] = False
    conv["is_streaming_available"] = False
    return {"success": True, "conversion": conv}


def conversion_webhook(rec: dict[str, Any], index: int, base: str,
                       subtype: str) -> dict[str, Any]:
    v = rec["versions"][str(index)]
    return {
        "success": True, "conversion_type": "Inpaint", "subtype": subtype,
        "task_id": rec["task_id"], "conversion_id": rec["conversion_ids"][index - 1],
        "conversion_path": file_url(base, v["mp3"]),
        "conversion_path_wav": file_url(base, v["wav"]),
        "conversion_duration": float(v["duration"]), "title": v["title"], "lyrics": v["lyrics"],
        "lyrics_timestamped": v["lyrics_timestamped"], "is_flagged": False, "reason": "",
    }


def lyrics_webhook(rec: dict[str, Any], index: int) -> dict[str, Any]:
    return {
        "success": True, "conversion_type": "Inpaint", "subtype": "lyrics_timestamped",
        "task_id": rec["task_id"], "conversion_id": rec["conversion_ids"][index - 1],
        "lyrics_timestamped": rec["versions"][str(index)]["lyrics_timestamped"],
    }


def cover_webhook(rec: dict[str, Any], base: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "success": True, "conversion_type": "Inpaint", "subtype": "album_cover_generation",
        "task_id": rec["task_id"],
    }
    for i, cid in enumerate(rec["conversion_ids"], 1):
        body[f"conversion_id_{i}"] = cid
    image, thumb = file_url(base, rec["album_cover"]), file_url(base, rec["album_cover_thumb"])
    body.update(image_path=image, thumbnail_path=thumb, image_paths=[image],
                thumbnail_paths=[thumb], album_cover_generator_output=True)
    return body


def error_422(style: str, message: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
    """The documented body, or FastAPI's `{"detail": [...]}` when the server is set up so."""
    if style == "fastapi" and fields:
        return {"detail": [{"loc": ["body", name], "msg": msg, "type": "value_error"}
                           for name, msg in fields]}
    return {"success": False, "message": message}
