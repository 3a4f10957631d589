"""The wire format of docs/protocol.md, both ways, and nothing else: no database, no I/O.

Coming in, `parse_frame` turns a text frame into one of the request dataclasses or raises
BadFrame, whose code and detail go back to the client in an error frame. Going out, one
builder per server frame returns it as a dict, and `encode` makes it text.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from chat.models import Message, Room, RoomBan, iso_utc

if TYPE_CHECKING:
    from chat.services import Page

CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# seq values are PostgreSQL bigints; anything larger is a malformed frame, not a crash.
MAX_SEQ = 2**63 - 1


class BadFrame(Exception):
    def __init__(self, detail: str, client_id: str | None = None, code: str = "bad_frame"):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.client_id = client_id


@dataclass(frozen=True)
class SendRequest:
    body: str
    client_id: str


@dataclass(frozen=True)
class ResumeRequest:
    after_seq: int


@dataclass(frozen=True)
class HistoryRequest:
    before_seq: int | None
    limit: int


Request = SendRequest | ResumeRequest | HistoryRequest


def parse_frame(text: str | None) -> Request:
    if text is None:
        raise BadFrame("Frames must be JSON text, not binary.")
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        raise BadFrame("The frame is not valid JSON.") from None
    if not isinstance(frame, dict):
        raise BadFrame("A frame must be a JSON object.")
    kind = frame.get("type")
    if kind == "message.send":
        return _send(frame)
    if kind == "resume":
        return ResumeRequest(after_seq=seq_field(frame, "after_seq"))
    if kind == "history":
        before = frame.get("before_seq")
        return HistoryRequest(
            before_seq=None if before is None else seq_field(frame, "before_seq"),
            limit=limit_field(frame.get("limit")),
        )
    if not isinstance(kind, str):
        raise BadFrame('A frame needs a string "type".')
    raise BadFrame(f"Unknown frame type {kind[:40]!r}.")


def _send(frame: dict[str, Any]) -> SendRequest:
    client_id = frame.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID_RE.fullmatch(client_id):
        raise BadFrame('"client_id" must be 1-64 characters of A-Z, a-z, 0-9, "_" and "-".')
    body = frame.get("body")
    if not isinstance(body, str):
        raise BadFrame('"body" must be a string.', client_id)
    return SendRequest(body=body, client_id=client_id)


def seq_field(frame: dict[str, Any], name: str) -> int:
    value = frame.get(name)
    if not is_whole_number(value) or not 0 <= value <= MAX_SEQ:
        raise BadFrame(f'"{name}" must be a whole number from 0 to {MAX_SEQ}.')
    return value


def limit_field(value: Any) -> int:
    """A page size: default CHAT_PAGE_SIZE, capped at CHAT_MAX_PAGE_SIZE, at least 1."""
    if value is None:
        return settings.CHAT_PAGE_SIZE
    if not is_whole_number(value) or value < 1:
        raise BadFrame('"limit" must be a whole number of at least 1.')
    return min(value, settings.CHAT_MAX_PAGE_SIZE)


def is_whole_number(value: Any) -> bool:
    # bool is a subclass of int in Python, but `true` is not a number on the wire.
    return isinstance(value, int) and not isinstance(value, bool)


# Frames that go out (docs/protocol.md, "Server to client"). Each builder returns the frame
# as a dict; `encode` turns one into the text that goes on the wire.


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def message_payload(message: Message, room_slug: str) -> dict[str, Any]:
    """The MSG object, or a tombstone when the message is hidden. Needs `author` loaded."""
    if message.is_hidden:
        return {"id": message.id, "seq": message.seq, "hidden": True}
    author = message.author
    return {
        "id": message.id,
        "seq": message.seq,
        "room": room_slug,
        "author": {"id": author.id, "username": author.username} if author else None,
        "body": message.body,
        "created_at": iso_utc(message.created_at),
        "client_id": message.client_id,
    }


def message_frame(message: Message, room_slug: str) -> dict[str, Any]:
    return {"type": "message", "message": message_payload(message, room_slug)}


def ack_frame(client_id: str, message_id: int, seq: int) -> dict[str, Any]:
    return {"type": "ack", "client_id": client_id, "id": message_id, "seq": seq}


def error_frame(code: str, detail: str, client_id: str | None = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail, "client_id": client_id}


def history_payload(page: Page, room_slug: str) -> dict[str, Any]:
    """A page of messages as the `history` frame and the HTTP API carry it."""
    return {
        "messages": [message_payload(message, room_slug) for message in page.messages],
        "has_more": page.has_more,
        "history_limited": page.history_limited,
    }


def history_frame(
    page: Page, room_slug: str, max_bytes: int, *, keep_newest: bool = False
) -> dict[str, Any]:
    """A `history` frame of the page, at most `max_bytes` long once encoded (always at least
    one message). Messages that do not fit are left out, from the old end when walking back
    (`keep_newest`), from the new end when resuming, and `has_more` then says so: the client
    asks again from where the frame stops."""
    payloads = [message_payload(message, room_slug) for message in page.messages]
    kept = _within(payloads, max_bytes - _HISTORY_FRAME_OVERHEAD, keep_newest)
    cut = len(kept) < len(payloads)
    return {
        "type": "history",
        "messages": kept,
        "has_more": page.has_more or cut,
        "history_limited": page.history_limited and not cut,
    }


# The frame around the messages: {"type":"history","messages":[],"has_more":false,...}.
_HISTORY_FRAME_OVERHEAD = 128


def _within(payloads: list[dict[str, Any]], budget: int, keep_newest: bool) -> list[dict[str, Any]]:
    ordered = reversed(payloads) if keep_newest else iter(payloads)
    kept: list[dict[str, Any]] = []
    used = 0
    for payload in ordered:
        used += len(encode(payload).encode()) + 1  # and the comma after it
        if used > budget and kept:
            break
        kept.append(payload)
    if keep_newest:
        kept.reverse()
    return kept


def resumed_frame(last_seq: int, has_more: bool) -> dict[str, Any]:
    return {"type": "resumed", "last_seq": last_seq, "has_more": has_more}


def rate_limited_frame(retry_after: float, client_id: str | None = None) -> dict[str, Any]:
    """The error for a send or frame over a limit of chat/limits.py; `retry_after` is in
    whole seconds, rounded up."""
    return {
        **error_frame("rate_limited", "Too many requests; wait before sending again.", client_id),
        "retry_after": max(1, math.ceil(retry_after)),
    }


def restriction_frame(restriction: RoomBan | None) -> dict[str, Any]:
    """What applies to the person now: a mute, or nothing (`kind` null). Bans close instead."""
    return {
        "type": "restriction",
        "kind": restriction.kind if restriction else None,
        "until": iso_utc(restriction.until) if restriction and restriction.until else None,
        "reason": restriction.reason if restriction else "",
    }


def message_hidden_frame(message: Message) -> dict[str, Any]:
    return {"type": "message.hidden", "id": message.pk, "seq": message.seq}


def message_restored_frame(message: Message, room_slug: str) -> dict[str, Any]:
    return {"type": "message.restored", "message": message_payload(message, room_slug)}


def message_deleted_frame(message: Message) -> dict[str, Any]:
    return {"type": "message.deleted", "id": message.pk, "seq": message.seq}


def room_updated_frame(room: Room) -> dict[str, Any]:
    return {
        "type": "room.updated",
        "room": {
            "slug": room.slug,
            "name": room.name,
            "locked": room.is_locked,
            "archived": room.is_archived,
        },
    }
