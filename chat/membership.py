"""Rooms people live in: membership, read positions and mentions (docs/protocol.md,
"Membership, read positions and mentions").

- Opening a room (its page, or its socket's admission) joins it, with everything already in
  it counted as read; "Leave room" leaves it. Either tells the person's `/ws/rooms/`
  sockets `rooms.changed` once committed.
- `last_read_seq` only moves forward: by `read` frames (`mark_read`), and by the person's
  own sends, inside chat/posting.py's batch statement (no extra round trip).
- Mentions are `@username` candidates parsed here (`mention_candidates`) and resolved
  against the room's members where the message is saved (the batch statement on
  PostgreSQL, `resolve_mentions` elsewhere and on edits).

Each write here is one statement, so none of them needs a transaction of its own, and each
event goes out after its commit: from synchronous callers through
chat.broadcast.tell_person_on_commit; a socket instead publishes the event these functions
build (`read_event`, `rooms_changed_event`) from the event loop, so the database thread
never waits on the channel layer. Nothing here costs anything per reader per message.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    F,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.utils import timezone

from chat import frames
from chat.broadcast import tell_person_on_commit
from chat.models import Mention, Message, Room, RoomMembership, iso_utc

# Characters of a Django username (its default validator: letters, digits and @.+-_).
# A candidate starts after anything that could not be part of a username, so the `@` in
# "bob@example.com" starts none.
_MENTION_RE = re.compile(r"(?<![\w.@+-])@([\w.@+-]+)")
# Punctuation that ends a sentence or a clause is not part of the name: "@bob," "@bob."
# (",:!?" are not username characters; "." is, so it is stripped when it ends the match).
_TRAILING = ".,:!?"
# At most this many different names per message are looked up: a body full of `@`s costs a
# bounded amount at save.
MAX_MENTION_CANDIDATES = 50
# Person events (chat.broadcast.tell_person_on_commit), each carrying its frame already
# encoded in `event["frame"]`, for the listener to deliver as it is. `read` goes to every
# socket of the person (room sockets of any room and `/ws/rooms/` sockets); `rooms.changed`
# only to `/ws/rooms/` sockets (docs/protocol.md).
READ_EVENT = "chat.read"
ROOMS_CHANGED_EVENT = "chat.rooms_changed"


def mention_candidates(body: str) -> list[str]:
    """The names `body` may mention, lower-cased, each once, in order of appearance: at most
    MAX_MENTION_CANDIDATES. Whether they name members is decided at save."""
    found: dict[str, None] = {}
    for match in _MENTION_RE.finditer(body):
        name = match.group(1).rstrip(_TRAILING).lower()
        if any(character.isalnum() or character == "_" for character in name):
            found.setdefault(name, None)
            if len(found) == MAX_MENTION_CANDIDATES:
                break
    return list(found)


def resolve_mentions(room: Room, body: str) -> list[int]:
    """The ids of the room's members that `body` mentions, ascending (one query; none when
    the body has no `@`)."""
    names = mention_candidates(body)
    if not names:
        return []
    return sorted(
        get_user_model()
        .objects.annotate(name=Lower("username"))
        .filter(name__in=names, room_memberships__room=room)
        .values_list("pk", flat=True)
        .distinct()
    )


def store_mentions(message: Message, user_ids: list[int], *, replace: bool = False) -> None:
    """Add a Mention row of `message` (its `room_id` and `seq` set) for each of `user_ids`;
    `replace`: drop the ones it had first (an edit)."""
    if replace:
        Mention.objects.filter(message=message).delete()
    Mention.objects.bulk_create(
        Mention(message=message, user_id=user_id, room_id=message.room_id, seq=message.seq)
        for user_id in user_ids
    )


def _membership_table() -> str:
    return RoomMembership._meta.db_table


def join(room: Room, user: AbstractBaseUser, *, announce: bool = True) -> bool:
    """Make `user` a member of `room` unless they are one, with everything already in the
    room counted as read (`last_read_seq` = the room's `last_seq`, read in the same
    statement). Returns whether they joined; when they did, their `/ws/rooms/` sockets get
    `rooms.changed` once committed (`announce=False`: the async caller publishes
    `rooms_changed_event()` itself, off the database thread). One statement either way; an
    existing member costs an index lookup and no write (not even a sequence value)."""
    table = _membership_table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (user_id, room_id, joined_at, last_read_seq)
            SELECT %s, r.id, %s, r.last_seq FROM {Room._meta.db_table} r
            WHERE r.id = %s AND NOT EXISTS (
                SELECT 1 FROM {table} m WHERE m.user_id = %s AND m.room_id = r.id
            )
            ON CONFLICT (user_id, room_id) DO NOTHING
            RETURNING id
            """,
            [user.pk, timezone.now(), room.pk, user.pk],
        )
        joined = cursor.fetchone() is not None
    if joined and announce:
        tell_person_on_commit(user.pk, rooms_changed_event())
    return joined


def leave(room: Room, user: AbstractBaseUser) -> bool:
    """End `user`'s membership of `room`. Returns whether they were a member; when they
    were, their `/ws/rooms/` sockets get `rooms.changed` once committed. Opening the room
    joins again."""
    deleted, _ = RoomMembership.objects.filter(room=room, user=user).delete()
    if deleted:
        tell_person_on_commit(user.pk, rooms_changed_event())
    return bool(deleted)


def mark_read(room: Room, user: AbstractBaseUser, seq: int) -> bool:
    """Move `user`'s read position in `room` forward to `seq` (`move_read_position`).
    Returns whether it moved; when it did, every socket of the person, on every process,
    gets `read` once committed."""
    moved_to = move_read_position(room, user, seq)
    if moved_to is None:
        return False
    tell_person_on_commit(user.pk, read_event(room.slug, moved_to))
    return True


def move_read_position(room: Room, user: AbstractBaseUser, seq: int) -> int | None:
    """Move `user`'s read position in `room` forward to `seq`, clamped to the room's
    `last_seq` (read in the same statement): never back. Returns the new position, or None
    when it did not move (a person who is not a member has no position to move). One
    UPDATE, and no write when it would not move. Announcing the move is the caller's:
    `mark_read`, or a socket publishing `read_event` from the event loop."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {_membership_table()} SET last_read_seq = target.seq
            FROM (
                SELECT CASE WHEN r.last_seq < %s THEN r.last_seq ELSE %s END AS seq
                FROM {Room._meta.db_table} r WHERE r.id = %s
            ) AS target
            WHERE user_id = %s AND room_id = %s AND last_read_seq < target.seq
            RETURNING last_read_seq
            """,
            [seq, seq, room.pk, user.pk, room.pk],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def read_event(room_slug: str, seq: int) -> dict[str, Any]:
    """The person event telling every socket of theirs that their position moved: one
    publish to the people group, however many sockets they have."""
    return {"type": READ_EVENT, "frame": frames.encode(frames.read_frame(room_slug, seq))}


def rooms_changed_event() -> dict[str, Any]:
    """The person event telling their `/ws/rooms/` sockets to fetch their rooms again."""
    return {"type": ROOMS_CHANGED_EVENT, "frame": frames.encode(frames.rooms_changed_frame())}


def read_position(room: Room, user: AbstractBaseUser) -> int | None:
    """`user`'s `last_read_seq` in `room`; None when not a member."""
    return (
        RoomMembership.objects.filter(room=room, user=user)
        .values_list("last_read_seq", flat=True)
        .first()
    )


def _count(rows: QuerySet) -> Case:
    """COUNT(*) of `rows` as a correlated subquery, run only for a room with messages after
    the read position: most of a person's rooms are read, and cost no subquery then. COUNT
    as a plain function rather than Django's Count aggregate, so that no GROUP BY is added:
    one row, whatever matches."""
    counted = rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Case(
        When(room__last_seq__gt=F("last_read_seq"), then=Subquery(counted)),
        default=Value(0),
        output_field=BigIntegerField(),
    )


def rooms_of(user: AbstractBaseUser) -> QuerySet[RoomMembership]:
    """`user`'s memberships, most recently active room first, each with `unread` (messages
    after the read position that are neither the user's own nor hidden nor deleted) and
    `mentions` (those of them that mention the user), counted in the same query: one query
    for any number of rooms. Each count walks only the rows after the read position (the
    (room, seq) index and the Mention (user, room, seq) index)."""
    unread = Message.objects.filter(
        room=OuterRef("room_id"),
        seq__gt=OuterRef("last_read_seq"),
        hidden_at__isnull=True,
        deleted_at__isnull=True,
    ).exclude(author_id=user.pk)
    mentioned = Mention.objects.filter(
        user_id=user.pk,
        room=OuterRef("room_id"),
        seq__gt=OuterRef("last_read_seq"),
        message__hidden_at__isnull=True,
        message__deleted_at__isnull=True,
    ).exclude(message__author_id=user.pk)
    return (
        RoomMembership.objects.filter(user_id=user.pk)
        .select_related("room")
        .only(
            "last_read_seq",
            "room__slug",
            "room__name",
            "room__last_seq",
            "room__last_activity_at",
        )
        .annotate(unread=_count(unread), mentions=_count(mentioned))
        .order_by(F("room__last_activity_at").desc(), F("room_id").desc())
    )


def members_matching(room: Room, prefix: str, limit: int = 20) -> list[dict[str, object]]:
    """Up to `limit` members of `room` whose username starts with `prefix` (ignoring case),
    by username, as USER objects."""
    rows = (
        RoomMembership.objects.filter(room=room, user__username__istartswith=prefix)
        .order_by("user__username")
        .values_list("user_id", "user__username")[:limit]
    )
    return [{"id": user_id, "username": username} for user_id, username in rows]


def my_rooms_payload(user: AbstractBaseUser) -> dict[str, list[dict[str, object]]]:
    """The answer of GET /api/rooms/: one query, rows as tuples (no model per room)."""
    rows = rooms_of(user).values_list(
        "room__slug",
        "room__name",
        "room__last_seq",
        "last_read_seq",
        "unread",
        "mentions",
        "room__last_activity_at",
    )
    return {"rooms": [_room_entry(*row) for row in rows]}


def _room_entry(
    slug: str,
    name: str,
    last_seq: int,
    last_read_seq: int,
    unread: int,
    mentions: int,
    last_activity_at: datetime,
) -> dict[str, object]:
    return {
        "slug": slug,
        "name": name,
        "last_seq": last_seq,
        "last_read_seq": last_read_seq,
        "unread": unread,
        "mentions": mentions,
        "last_activity_at": iso_utc(last_activity_at),
    }
