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
from typing import Any

from chat.models import Message, Room, RoomBan, iso_utc
from chat.validators import MAX_SEQ as MAX_SEQ  # re-exported: frames' public names stay
from chat.validators import Invalid, parse_limit, parse_message_id, parse_seq
from chat.validators import is_whole_number as is_whole_number

CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Page:
    """A page of a room's history, oldest first, as `history` frames and the API carry it."""

    messages: list[Message]
    has_more: bool
    # Older messages existed but retention deleted them (only on pages walking back).
    history_limited: bool = False


@dataclass(frozen=True)
class AroundPage:
    """A page centred on a seq, oldest first, with what lies beyond each end."""

    messages: list[Message]
    has_more_before: bool
    has_more_after: bool
    history_limited: bool = False


@dataclass(frozen=True)
class Hit:
    """A search result (chat.search): the message, with author and room loaded."""

    message: Message
    highlight: str  # HTML: the escaped text with only <mark> elements added


@dataclass(frozen=True)
class Results:
    """A page of search results, newest first."""

    hits: list[Hit]
    next_cursor: str | None  # given back as `cursor` for the next (older) page


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
    # A page centred on this seq instead (jump to a message); never with before_seq.
    around_seq: int | None = None


@dataclass(frozen=True)
class EditRequest:
    message_id: int
    body: str
    client_id: str


@dataclass(frozen=True)
class DeleteRequest:
    message_id: int
    client_id: str | None  # optional: errors about this delete carry it back


@dataclass(frozen=True)
class TypingRequest:
    """`{"type": "typing"}`: the person is typing (nothing else is read from the frame)."""


@dataclass(frozen=True)
class ReadRequest:
    """The person has seen the room up to `seq` (chat.membership.mark_read)."""

    seq: int


Request = (
    SendRequest
    | ResumeRequest
    | HistoryRequest
    | EditRequest
    | DeleteRequest
    | ReadRequest
    | TypingRequest
)


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
    if kind == "typing":
        return TypingRequest()
    if kind == "resume":
        return ResumeRequest(after_seq=seq_field(frame, "after_seq"))
    if kind == "history":
        return _history(frame)
    if kind == "message.edit":
        return _edit(frame)
    if kind == "message.delete":
        return _delete(frame)
    if kind == "read":
        return _read(frame)
    if not isinstance(kind, str):
        raise BadFrame('A frame needs a string "type".')
    raise BadFrame(f"Unknown frame type {kind[:40]!r}.")


def _send(frame: dict[str, Any]) -> SendRequest:
    client_id = _client_id(frame)
    body = frame.get("body")
    if not isinstance(body, str):
        raise BadFrame('"body" must be a string.', client_id)
    return SendRequest(body=body, client_id=client_id)


def _history(frame: dict[str, Any]) -> HistoryRequest:
    before, around = frame.get("before_seq"), frame.get("around_seq")
    if before is not None and around is not None:
        raise BadFrame('Give "before_seq" or "around_seq", not both.')
    return HistoryRequest(
        before_seq=None if before is None else seq_field(frame, "before_seq"),
        limit=limit_field(frame.get("limit")),
        around_seq=None if around is None else seq_field(frame, "around_seq"),
    )


def _client_id(frame: dict[str, Any]) -> str:
    client_id = frame.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID_RE.fullmatch(client_id):
        raise BadFrame('"client_id" must be 1-64 characters of A-Z, a-z, 0-9, "_" and "-".')
    return client_id


def _edit(frame: dict[str, Any]) -> EditRequest:
    client_id = _client_id(frame)
    body = frame.get("body")
    if not isinstance(body, str):
        raise BadFrame('"body" must be a string.', client_id)
    return EditRequest(message_id=id_field(frame, client_id), body=body, client_id=client_id)


def _delete(frame: dict[str, Any]) -> DeleteRequest:
    client_id = None if frame.get("client_id") is None else _client_id(frame)
    return DeleteRequest(message_id=id_field(frame, client_id), client_id=client_id)


def _read(frame: dict[str, Any]) -> ReadRequest:
    try:
        return ReadRequest(seq=parse_seq(frame.get("seq")))
    except Invalid as error:
        raise BadFrame(error.detail, code="invalid_seq") from None


def id_field(frame: dict[str, Any], client_id: str | None) -> int:
    try:
        return parse_message_id(frame.get("id"))
    except Invalid as error:
        raise BadFrame(error.detail, client_id) from None


def seq_field(frame: dict[str, Any], name: str) -> int:
    try:
        return parse_seq(frame.get(name), name)
    except Invalid as error:
        raise BadFrame(error.detail) from None


def limit_field(value: Any) -> int:
    """A page size: default CHAT_PAGE_SIZE, capped at CHAT_MAX_PAGE_SIZE, at least 1."""
    try:
        return parse_limit(value)
    except Invalid as error:
        raise BadFrame(error.detail) from None


# Frames that go out (docs/protocol.md, "Server to client"). Each builder returns the frame
# as a dict; `encode` turns one into the text that goes on the wire.


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def message_payload(message: Message, room_slug: str) -> dict[str, Any]:
    """The MSG object, or a tombstone when the message is deleted by its author or hidden by
    a moderator (deleted wins: there is nothing left to restore). Needs `author` loaded."""
    if message.is_deleted:
        return {"id": message.id, "seq": message.seq, "deleted": True}
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
        "edited_at": iso_utc(message.edited_at) if message.edited_at else None,
        # The members the body mentions, resolved at save (chat.membership).
        "mentions": list(message.mentions or ()),
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


def around_payload(page: AroundPage, room_slug: str) -> dict[str, Any]:
    """A page centred on a seq, as the `history` frame (around_seq) and the API carry it."""
    return {
        "messages": [message_payload(message, room_slug) for message in page.messages],
        "has_more_before": page.has_more_before,
        "has_more_after": page.has_more_after,
        "history_limited": page.history_limited,
    }


def around_frame(page: AroundPage, room_slug: str) -> dict[str, Any]:
    return {"type": "history", **around_payload(page, room_slug)}


def search_payload(found: Results) -> dict[str, Any]:
    """An answer of GET /api/search/: each hit as MSG with its highlight, and the cursor."""
    return {
        "results": [
            {
                "message": message_payload(hit.message, hit.message.room.slug),
                "highlight": hit.highlight,
            }
            for hit in found.hits
        ],
        "next": found.next_cursor,
    }


def message_edited_frame(message: Message, room_slug: str) -> dict[str, Any]:
    return {"type": "message.edited", "message": message_payload(message, room_slug)}


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


def message_deleted_frame(message: Message, *, tombstone: bool = False) -> dict[str, Any]:
    """`tombstone`: history shows the `deleted` tombstone in its place (an author's
    deletion), rather than skipping it (a moderator's deletion for good)."""
    return {
        "type": "message.deleted",
        "id": message.pk,
        "seq": message.seq,
        "tombstone": tombstone,
    }


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


def read_frame(room_slug: str, seq: int) -> dict[str, Any]:
    """The person's read position in a room moved (to every socket of theirs)."""
    return {"type": "read", "room": room_slug, "seq": seq}


def rooms_changed_frame() -> dict[str, Any]:
    """The person joined or left a room: pages fetch GET /api/rooms/ again."""
    return {"type": "rooms.changed"}


def user_payload(user_id: int, username: str) -> dict[str, Any]:
    """USER of docs/protocol.md."""
    return {"id": user_id, "username": username}


def presence_frame(people: list[tuple[int, str]], count: int) -> dict[str, Any]:
    """Who is in the room: `count` people, the first CHAT_PRESENCE_LIMIT of them listed."""
    users = [user_payload(*person) for person in people]
    return {"type": "presence", "users": users, "count": count}


def presence_join_frame(user_id: int, username: str) -> dict[str, Any]:
    return {"type": "presence.join", "user": user_payload(user_id, username)}


def presence_leave_frame(user_id: int, username: str) -> dict[str, Any]:
    return {"type": "presence.leave", "user": user_payload(user_id, username)}


def typing_frame(user_id: int, username: str) -> dict[str, Any]:
    return {"type": "typing", "user": user_payload(user_id, username)}


def room_activity_frame(message: Message, room_slug: str) -> dict[str, Any]:
    """What a `/ws/rooms/` socket hears of a new message: enough for badges, no body."""
    return {
        "type": "room.activity",
        "room": room_slug,
        "seq": message.seq,
        "author_id": message.author_id,
        "mentions": list(message.mentions or []),
        "at": iso_utc(message.created_at),
    }


def room_recount_frame(room_slug: str) -> dict[str, Any]:
    """What a `/ws/rooms/` socket hears when a message of the room was hidden, restored or
    deleted, or its mentions changed: counts it holds may be off, so it asks again."""
    return {"type": "room.recount", "room": room_slug}
