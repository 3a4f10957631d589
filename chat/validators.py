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
