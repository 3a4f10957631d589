"""Saving sent messages: group commit, one statement per batch, on PostgreSQL.

A room's seqs are handed out under its row lock, so a room commits one transaction at a
time however many senders it has. Rather than one transaction per message, each process
queues a room's sends while a commit is in flight and commits the queue as the next batch:
one transaction, one seq range, one fsync for all of them (group commit). Each sender is
answered only after the commit of its batch; a batch that fails answers every one of its
sends with the error, and nothing of it is saved.

A batch is one statement in autocommit, so one round trip and one commit: it skips repeats
of an (author, client_id) already in the room, leaves out authors who are no longer active,
and moves the room's counters by the number left, which takes the room's row lock; the seqs
it hands out come from the row as updated under that lock, so they stay gapless and in
commit order across processes. A repeat committed by another process after the statement's
snapshot makes the insert fail on the unique (room, author, client_id) constraint; the
batch is then run once more, and finds it. The same statement resolves each message's
`@name` candidates (parsed in Python, chat.membership) against the room's members, stores
them in `Message.mentions` and as Mention rows, and moves each saved author's read position
to the newest seq they got (docs/protocol.md, "Membership, read positions and mentions").

The same statement serves the synchronous `services.post_message` (through Django's
connection) and the sockets (through an async psycopg pool per process, off the single
thread that `database_sync_to_async` funnels every call into). On SQLite, the embedded
default, sockets call `services.post_message` on the database thread instead.
"""

from __future__ import annotations

import asyncio
import functools
import json
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import (
    DatabaseError,
    IntegrityError,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from django.db.models import F
from django.utils import timezone
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from chat import membership
from chat.models import Mention, Message, Room, RoomMembership

# Sends a batch takes at most; the rest wait for the next one.
MAX_BATCH = 256


class RoomReadOnly(Exception):
    """The room is locked or archived."""


class InactiveAuthor(Exception):
    """The author's account was deactivated (or deleted) since the socket opened."""


@dataclass(frozen=True)
class Draft:
    author_id: int
    client_id: str
    body: str


@dataclass(frozen=True)
class Saved:
    id: int
    seq: int
    created_at: datetime
    created: bool  # False: a repeat of a send already in the room, which is returned
    mentions: list[int] = field(default_factory=list)  # user ids, ascending


Outcome = Saved | RoomReadOnly | InactiveAuthor

_message = Message._meta.db_table
_room = Room._meta.db_table
_mention = Mention._meta.db_table
_membership = RoomMembership._meta.db_table


def _post_sql() -> str:
    user_table = get_user_model()._meta.db_table
    return f"""
WITH draft AS (
    SELECT * FROM unnest(%(authors)s::bigint[], %(client_ids)s::text[], %(bodies)s::text[])
        WITH ORDINALITY AS d(author_id, client_id, body, ord)
),
earlier AS (
    SELECT m.id, m.seq, m.created_at, m.author_id, m.client_id, m.mentions
    FROM {_message} m JOIN draft d USING (author_id, client_id)
    WHERE m.room_id = %(room)s
),
fresh AS (
    SELECT d.*, row_number() OVER (ORDER BY d.ord) AS n
    FROM draft d JOIN {user_table} u ON u.id = d.author_id AND u.is_active
    WHERE NOT EXISTS (
        SELECT 1 FROM earlier e WHERE e.author_id = d.author_id AND e.client_id = d.client_id
    )
),
counted AS (SELECT count(*) AS n FROM fresh),
moved AS (
    UPDATE {_room} r
    SET last_seq = r.last_seq + counted.n,
        message_count = r.message_count + counted.n,
        last_activity_at = %(now)s
    FROM counted
    WHERE r.id = %(room)s AND counted.n > 0 AND NOT r.is_locked AND NOT r.is_archived
    RETURNING r.last_seq - counted.n AS base
),
named AS (
    -- Mentions: each draft's candidate names (by its ord) that are members of the room.
    SELECT DISTINCT c.ord, u.id AS user_id
    FROM unnest(%(mention_ords)s::bigint[], %(mention_names)s::text[]) AS c(ord, name)
    JOIN {user_table} u ON lower(u.username) = c.name
    JOIN {_membership} ms ON ms.user_id = u.id AND ms.room_id = %(room)s
),
inserted AS (
    INSERT INTO {_message} (room_id, seq, author_id, body, client_id, created_at, mentions)
    SELECT %(room)s, moved.base + fresh.n, fresh.author_id, fresh.body, fresh.client_id, %(now)s,
        COALESCE(
            (SELECT jsonb_agg(named.user_id ORDER BY named.user_id) FROM named
             WHERE named.ord = fresh.ord),
            '[]'::jsonb
        )
    FROM fresh CROSS JOIN moved
    RETURNING id, seq, created_at, author_id, client_id, mentions
),
mentioned AS (
    INSERT INTO {_mention} (message_id, user_id, room_id, seq)
    SELECT i.id, named.user_id, %(room)s, i.seq
    FROM inserted i JOIN draft d USING (author_id, client_id) JOIN named ON named.ord = d.ord
),
caught_up AS (
    -- A message of one's own counts as read, and so does everything before it.
    UPDATE {_membership} ms SET last_read_seq = mine.seq
    FROM (SELECT author_id, max(seq) AS seq FROM inserted GROUP BY author_id) mine
    WHERE ms.room_id = %(room)s AND ms.user_id = mine.author_id AND ms.last_read_seq < mine.seq
)
SELECT 'saved', id, seq, created_at, author_id, client_id, mentions FROM inserted
UNION ALL
SELECT 'earlier', id, seq, created_at, author_id, client_id, mentions FROM earlier
UNION ALL
SELECT 'read_only', NULL, NULL, NULL, author_id, client_id, NULL FROM fresh
WHERE NOT EXISTS (SELECT 1 FROM moved)
"""


_post: str | None = None


def post_sql() -> str:
    global _post
    if _post is None:
        _post = _post_sql()
    return _post


def _params(room_id: int, drafts: list[Draft]) -> dict[str, Any]:
    # Each draft's mention candidates, flattened, with the draft's ord (1-based) beside them.
    mention_ords, mention_names = [], []
    for ord_, draft in enumerate(drafts, start=1):
        for name in membership.mention_candidates(draft.body):
            mention_ords.append(ord_)
            mention_names.append(name)
    return {
        "room": room_id,
        "authors": [draft.author_id for draft in drafts],
        "client_ids": [draft.client_id for draft in drafts],
        "bodies": [draft.body for draft in drafts],
        "mention_ords": mention_ords,
        "mention_names": mention_names,
        "now": timezone.now(),
    }


def _outcomes(drafts: list[Draft], rows: list[tuple]) -> list[Outcome]:
    by_key: dict[tuple[int, str], Outcome] = {}
    for status, pk, seq, created_at, author_id, client_id, mentions in rows:
        if status == "read_only":
            by_key[author_id, client_id] = RoomReadOnly()
        else:
            # Django's connection hands jsonb over as text; the pool's, as Python.
            mentions = json.loads(mentions) if isinstance(mentions, str) else mentions
            by_key[author_id, client_id] = Saved(
                pk, seq, created_at, created=status == "saved", mentions=mentions
            )
    # No row: the author was left out for not being active.
    return [by_key.get((d.author_id, d.client_id), InactiveAuthor()) for d in drafts]


def _unique(drafts: list[Draft]) -> list[Draft]:
    """One draft per (author, client_id): a repeat inside a batch gets the first's outcome."""
    first: dict[tuple[int, str], Draft] = {}
    for draft in drafts:
        first.setdefault((draft.author_id, draft.client_id), draft)
    return list(first.values())


def commit_sync(room_id: int, drafts: list[Draft]) -> list[Outcome]:
    """Commit a batch through Django's connection (PostgreSQL only), in the caller's thread."""
    params = _params(room_id, _unique(drafts))
    for attempt in range(2):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(post_sql(), params)
                return _outcomes(drafts, cursor.fetchall())
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


async def commit_async(
    pool: AsyncConnectionPool, room_id: int, drafts: list[Draft]
) -> list[Outcome]:
    """Commit a batch: one statement, in autocommit, so one round trip and one commit."""
    params = _params(room_id, _unique(drafts))
    for attempt in range(2):
        try:
            async with pool.connection() as conn:
                cursor = await conn.execute(post_sql(), params)
                return _outcomes(drafts, await cursor.fetchall())
        except psycopg.errors.UniqueViolation:
            if attempt:
                raise
    raise AssertionError("unreachable")


class RoomQueue:
    """The sends of one room waiting in this process, committed a batch at a time."""

    def __init__(self, room_id: int, pool: AsyncConnectionPool) -> None:
        self.room_id = room_id
        self.pool = pool
        self.waiting: list[tuple[Draft, asyncio.Future[Outcome]]] = []
        self.committing: asyncio.Task[None] | None = None

    def submit(self, draft: Draft) -> asyncio.Future[Outcome]:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self.waiting.append((draft, future))
        if self.committing is None:
            self.committing = asyncio.create_task(
                self._commit_batches(), name=f"chat-commit-{self.room_id}"
            )
        return future

    async def _commit_batches(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
                drafts = [draft for draft, _ in batch]
                try:
                    outcomes = await commit_async(self.pool, self.room_id, drafts)
                except (psycopg.Error, PoolTimeout, OSError) as error:
                    failure = DatabaseError(str(error))
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(failure)
                    continue
                except BaseException as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    if isinstance(error, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)
        finally:
            self.committing = None


class Poster:
    """Per process (per event loop): the connection pool and the room queues."""

    def __init__(self) -> None:
        database = settings.DATABASES["default"]
        params = connections["default"].get_connection_params()
        for django_only in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(django_only, None)
        pool_options = database.get("OPTIONS", {}).get("pool", {})
        pool_options = pool_options if isinstance(pool_options, dict) else {}
        self.pool = AsyncConnectionPool(
            kwargs={**params, "autocommit": True},
            min_size=0,
            max_size=pool_options.get("max_size", 10),
            timeout=pool_options.get("timeout", 5),
            max_idle=60,
            open=False,
            name="chat-posting",
        )
        self.queues: dict[int, RoomQueue] = {}

    def submit(self, room_id: int, draft: Draft) -> asyncio.Future[Outcome]:
        queue = self.queues.get(room_id)
        if queue is None:
            queue = self.queues[room_id] = RoomQueue(room_id, self.pool)
        return queue.submit(draft)


_posters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Poster] = weakref.WeakKeyDictionary()


async def _poster() -> Poster:
    loop = asyncio.get_running_loop()
    poster = _posters.get(loop)
    if poster is None:
        poster = _posters[loop] = Poster()
        await poster.pool.open(wait=False)
    return poster


@functools.cache
def uses_group_commit() -> bool:
    # Cached: in async code each task gets a database wrapper of its own, so asking the
    # connection built one per send.
    return connection.vendor == "postgresql"


async def post(room: Room, author: AbstractBaseUser, body: str, client_id: str) -> Outcome:
    """Save one message from an async caller with its room's next batch; returns once that
    batch committed. Raises DatabaseError when the database refused it (nothing of the
    batch is saved)."""
    draft = Draft(author_id=author.pk, client_id=client_id, body=body)
    if uses_group_commit():
        return await (await _poster()).submit(room.pk, draft)
    return await sync_to_async(_commit_one_on_database_thread, thread_sensitive=True)(room, draft)


def _commit_one_on_database_thread(room: Room, draft: Draft) -> Outcome:
    close_old_connections()
    try:
        return commit_with_orm(room, draft)
    finally:
        close_old_connections()


def commit_with_orm(room: Room, draft: Draft) -> Outcome:
    """What the batch statement does, for one message, on a database without it (SQLite,
    the embedded default). The room's row lock serialises posters."""
    with transaction.atomic():
        locked = (
            Room.objects.select_for_update()
            .only("last_seq", "is_locked", "is_archived")
            .get(pk=room.pk)
        )
        existing = Message.objects.filter(
            room=room, author_id=draft.author_id, client_id=draft.client_id
        ).first()
        if existing is not None:
            return Saved(
                existing.id,
                existing.seq,
                existing.created_at,
                created=False,
                mentions=existing.mentions,
            )
        if not get_user_model().objects.filter(pk=draft.author_id, is_active=True).exists():
            return InactiveAuthor()
        if locked.is_locked or locked.is_archived:
            return RoomReadOnly()
        now = timezone.now()
        seq = locked.last_seq + 1
        Room.objects.filter(pk=room.pk).update(
            last_seq=seq, message_count=F("message_count") + 1, last_activity_at=now
        )
        message = Message.objects.create(
            room=room,
            seq=seq,
            author_id=draft.author_id,
            body=draft.body,
            client_id=draft.client_id,
            created_at=now,
            mentions=membership.resolve_mentions(room, draft.body),
        )
        membership.store_mentions(message, message.mentions)
        RoomMembership.objects.filter(
            room=room, user_id=draft.author_id, last_read_seq__lt=seq
        ).update(last_read_seq=seq)
    return Saved(message.id, seq, now, created=True, mentions=message.mentions)


async def close_pools() -> None:
    """Close this event loop's pool (tests, and server shutdown)."""
    poster = _posters.pop(asyncio.get_running_loop(), None)
    if poster is not None:
        await poster.pool.close()
