"""The chat's operations. Consumers, views, admin actions and tasks call these; the rules
(who may post, how seq is assigned, when a broadcast goes out) are written here once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from chat.models import Message, Room

logger = logging.getLogger(__name__)

# How long a broadcast may take before the sender's ack stops waiting for it. The message is
# already committed by then; listeners that miss it recover it by seq.
BROADCAST_TIMEOUT_SECONDS = 2.0


class Rejected(Exception):
    """An input the chat refuses, with the error code of docs/protocol.md."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Posted:
    message: Message
    created: bool  # False when the same author and client_id had already posted it


@dataclass(frozen=True)
class Page:
    messages: list[Message]
    has_more: bool
    # Older messages existed but retention deleted them (only on pages walking back).
    history_limited: bool = False

    def as_payload(self, room: Room) -> dict[str, Any]:
        return {
            "messages": [message.as_payload(room.slug) for message in self.messages],
            "has_more": self.has_more,
            "history_limited": self.history_limited,
        }


def room_for_user(slug: str, user: AbstractBaseUser | AnonymousUser) -> Room:
    """The room `user` may read. Raises Room.DoesNotExist or PermissionDenied."""
    if not user.is_authenticated:
        raise PermissionDenied("Sign in to read this room.")
    return Room.objects.get(slug=slug)


def open_room(name: str, user: AbstractBaseUser) -> Room:
    """The room called `name`, created by `user` if no room has its slug yet."""
    name = name.strip()
    slug = Room.slug_for(name)
    if not slug:
        raise Rejected("bad_name", "A room name needs at least one letter or digit.")
    room, _ = Room.objects.get_or_create(slug=slug, defaults={"name": name, "created_by": user})
    return room


def clean_body(body: str) -> str:
    """The body as it will be stored: stripped, never empty, never too long."""
    body = body.strip()
    if not body:
        raise Rejected("empty", "The message is empty.")
    limit = settings.CHAT_MAX_MESSAGE_CHARS
    if len(body) > limit:
        raise Rejected("too_long", f"Messages are at most {limit} characters.")
    if "\x00" in body or _has_lone_surrogate(body):
        raise Rejected("bad_frame", "The message contains characters that cannot be stored.")
    return body


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def post_message(room: Room, author: AbstractBaseUser, body: str, client_id: str) -> Posted:
    """Save a message and return it once committed.

    The room's row lock serialises posters, so seq is gapless and follows commit order even
    across processes. A repeat of (author, client_id) in the room returns the original row
    with created=False and changes nothing. Raises Rejected for a bad body and DatabaseError
    when the database refuses; in both cases nothing is saved.
    """
    body = clean_body(body)
    with transaction.atomic():
        locked = Room.objects.select_for_update().only("last_seq").get(pk=room.pk)
        existing = (
            Message.objects.filter(room=room, author=author, client_id=client_id)
            .select_related("author")
            .first()
        )
        if existing is not None:
            return Posted(existing, created=False)
        now = timezone.now()
        seq = locked.last_seq + 1
        Room.objects.filter(pk=room.pk).update(last_seq=seq, last_activity_at=now)
        message = Message.objects.create(
            room=room, seq=seq, author=author, body=body, client_id=client_id, created_at=now
        )
    return Posted(message, created=True)


def history_before(room: Room, before_seq: int | None, limit: int) -> Page:
    """Up to `limit` messages older than `before_seq` (the newest when None), oldest first."""
    rows = list(room.messages.before(before_seq).select_related("author")[: limit + 1])
    page = rows[:limit]
    page.reverse()
    has_more = len(rows) > limit
    return Page(page, has_more, history_limited=not has_more and _history_expired(room))


def _history_expired(room: Room) -> bool:
    # Read fresh: a socket's Room was loaded when it connected, before later prunes.
    return Room.objects.filter(pk=room.pk, history_expired_seq__gt=0).exists()


def history_after(room: Room, after_seq: int, limit: int) -> Page:
    """Up to `limit` messages newer than `after_seq`, oldest first."""
    rows = list(room.messages.after(after_seq).select_related("author")[: limit + 1])
    return Page(rows[:limit], has_more=len(rows) > limit)


def message_frame(message: Message, room: Room) -> str:
    """The `message` frame every socket of the room receives, encoded once."""
    return json.dumps({"type": "message", "message": message.as_payload(room.slug)})


async def broadcast_message(message: Message, room: Room) -> bool:
    """Send a committed message to the room's group. Never raises: the row is saved, and a
    listener that misses the broadcast sees the gap in seq and fetches it from history.
    Returns whether the channel layer took it.
    """
    event = {"type": "chat.message", "frame": message_frame(message, room)}
    try:
        async with asyncio.timeout(BROADCAST_TIMEOUT_SECONDS):
            await get_channel_layer().group_send(room.group_name, event)
    except Exception:
        logger.exception("Broadcast of message %s (room %s) failed", message.pk, room.pk)
        return False
    return True
