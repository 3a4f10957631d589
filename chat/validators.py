"""Plain validators for the values clients send: a seq, a page size.

Both the frame parser (`chat.frames`) and the HTTP API (`chat.views`) call these, so a value
means the same on the socket and over HTTP. Each takes the value as the client gave it and
returns it as the chat uses it, or raises Invalid with a detail fit to show the client.
"""

from __future__ import annotations

from typing import TypeGuard

from django.conf import settings

# seq values are PostgreSQL bigints; anything larger is a malformed value, not a crash.
MAX_SEQ = 2**63 - 1


class Invalid(ValueError):
    """A value out of shape or range; `detail` says what was expected."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def parse_seq(value: object, name: str = "seq") -> int:
    """A seq bound: a whole number from 0 to MAX_SEQ. `name` is the field's name in the
    detail."""
    if not is_whole_number(value) or not 0 <= value <= MAX_SEQ:
        raise Invalid(f'"{name}" must be a whole number from 0 to {MAX_SEQ}.')
    return value


def parse_limit(value: object) -> int:
    """A page size: CHAT_PAGE_SIZE when None, at least 1, capped at CHAT_MAX_PAGE_SIZE."""
    if value is None:
        return settings.CHAT_PAGE_SIZE
    if not is_whole_number(value) or value < 1:
        raise Invalid('"limit" must be a whole number of at least 1.')
    return min(value, settings.CHAT_MAX_PAGE_SIZE)


def is_whole_number(value: object) -> TypeGuard[int]:
    # bool is a subclass of int in Python, but `true` is not a number on the wire.
    return isinstance(value, int) and not isinstance(value, bool)


# Longest search accepted: a query is words to look for, not a document.
MAX_QUERY_CHARS = 200


def parse_message_id(value: object, name: str = "id") -> int:
    """A message's id: a whole number from 1 to MAX_SEQ (ids are bigints too)."""
    if not is_whole_number(value) or not 1 <= value <= MAX_SEQ:
        raise Invalid(f'"{name}" must be a whole number from 1 to {MAX_SEQ}.')
    return value


def parse_query(value: object) -> str:
    """A search: text of 1 to MAX_QUERY_CHARS characters once stripped, storable (no NUL,
    which PostgreSQL refuses in text)."""
    if not isinstance(value, str):
        raise Invalid('"q" must be text.')
    text = value.strip()
    if not text:
        raise Invalid('"q" must not be empty.')
    if len(text) > MAX_QUERY_CHARS:
        raise Invalid(f'"q" must be at most {MAX_QUERY_CHARS} characters.')
    if "\x00" in text:
        raise Invalid('"q" must not contain NUL characters.')
    return text


def parse_cursor(value: object) -> int | None:
    """A search cursor as the API handed it out ("next"): None when absent or empty. The
    cursor is opaque to clients; today it is the id of the last result given."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 19:
        raise Invalid('"cursor" must be a "next" value from an earlier answer.')
    return parse_message_id(int(value), "cursor")
