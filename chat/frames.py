"""Parsing of client frames (docs/protocol.md): shape and types only, no database.

`parse_frame` turns a text frame into one of the request dataclasses or raises BadFrame,
whose code and detail go back to the client in an error frame.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings

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
