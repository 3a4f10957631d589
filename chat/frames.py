"""Parsing of client frames (docs/protocol.md): shape and types only, no database.

`parse_frame` turns a text frame into one of the request dataclasses or raises BadFrame,
whose code and detail go back to the client in an error frame.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from chat.validators import MAX_SEQ as MAX_SEQ  # re-exported: frames' public names stay
from chat.validators import Invalid, parse_limit, parse_seq
from chat.validators import is_whole_number as is_whole_number

CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


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
