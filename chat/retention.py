"""Retention: deleting messages older than their room keeps them.

A room keeps messages for `Room.retention_days` days, or `CHAT_RETENTION_DAYS` when that is
empty; 0 keeps them forever. `prune_messages` deletes what is older in small batches, each
its own short transaction. A batch locks the old rows it deletes and, only for its final
UPDATE and COMMIT, the room's row, which every send also locks: a send may wait for that
moment, never for a batch's DELETE. The Celery task and the `prune_messages` command are
thin callers of it.

How a batch is chosen: a room's seq and created_at grow together (both are set under the
room's row lock when a message is posted), so its expired messages are its oldest seqs. A
run first finds the room's oldest message still inside the window (one read, no locks), then
deletes the seqs below it a batch at a time, oldest first, walking the unique (room, seq)
index; no other index is needed. The rule itself stays `created_at < cutoff` in every
query: the seq bound only stops index scans early. A message inside the window is never
deleted, and one posted out of clock order is merely left for a later run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from chat.models import Message, Room

logger = logging.getLogger(__name__)


@dataclass
class PruneResult:
    """What a run deleted (or, for a dry run, would delete)."""

    dry_run: bool
    # Messages per room slug; rooms with nothing expired are left out.
    deleted: dict[str, int] = field(default_factory=dict)
    # Delete transactions that removed at least one row.
    batches: int = 0
    longest_batch_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


@dataclass(frozen=True)
class BatchDone:
    """Reported after each committed batch, for progress displays."""

    room_slug: str
    deleted: int  # in this batch
    room_deleted: int  # in this room so far, this run
    run_deleted: int  # in all rooms so far, this run
    seconds: float


def retention_days(room: Room) -> int:
    """Days `room` keeps messages: its own setting, else the site's; 0 means forever."""
    if room.retention_days is not None:
        return room.retention_days
    return settings.CHAT_RETENTION_DAYS


def prune_messages(
    *,
    room_slug: str | None = None,
    dry_run: bool = False,
    batch_size: int | None = None,
    now: datetime | None = None,
    on_batch: Callable[[BatchDone], None] | None = None,
) -> PruneResult:
    """Delete every message older than its room's retention; return counts per room.

    `room_slug` limits the run to that room (Room.DoesNotExist if there is none). A dry run
    counts and changes nothing. Each batch of at most `batch_size` rows (default
    CHAT_PRUNE_BATCH_SIZE) is deleted in its own transaction, which also lowers the room's
    `message_count` by as many and raises its `history_expired_seq` to the largest seq
    deleted, so a committed batch and the room's record of it never disagree.

    Rows are taken FOR UPDATE SKIP LOCKED: runs at the same time split the work instead of
    repeating or blocking on it. A run killed part way loses only its open batch, which
    rolls back; the next run carries on from there. Running again when nothing has expired
    deletes nothing.
    """
    size = batch_size or settings.CHAT_PRUNE_BATCH_SIZE
    now = now or timezone.now()
    result = PruneResult(dry_run=dry_run)
    started = time.monotonic()

    rooms = Room.objects.order_by("pk").only("pk", "slug", "retention_days")
    if room_slug is not None:
        rooms = rooms.filter(slug=room_slug)
        if not rooms.exists():
            raise Room.DoesNotExist(f"No room with the slug {room_slug!r}.")
    for room in rooms.iterator():
        days = retention_days(room)
        if days == 0:
            continue
        cutoff = now - timedelta(days=days)
        if dry_run:
            if count := _expired(room, cutoff).count():
                result.deleted[room.slug] = count
        else:
            _prune_room(room, cutoff, size, result, on_batch)

    result.seconds = time.monotonic() - started
    _log(result)
    return result


def _log(result: PruneResult) -> None:
    if result.dry_run:
        for slug, count in result.deleted.items():
            logger.info("Would prune %d messages from room %s", count, slug)
        logger.info("Would prune %d messages in %d rooms", result.total, len(result.deleted))
        return
    for slug, count in result.deleted.items():
        logger.info("Pruned %d messages from room %s", count, slug)
    logger.info(
        "Pruned %d messages in %d rooms (%d batches, longest %.3f s) in %.1f s",
        result.total,
        len(result.deleted),
        result.batches,
        result.longest_batch_seconds,
        result.seconds,
    )


def _expired(room: Room, cutoff: datetime) -> QuerySet[Message]:
    """The room's messages older than `cutoff`, bounded by seq so that index scans stop at
    the first message still inside the window instead of reading the rest of the room."""
    rows = Message.objects.filter(room=room, created_at__lt=cutoff)
    first_kept = (
        Message.objects.filter(room=room, created_at__gte=cutoff)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    return rows if first_kept is None else rows.filter(seq__lt=first_kept)


def _prune_room(
    room: Room,
    cutoff: datetime,
    size: int,
    result: PruneResult,
    on_batch: Callable[[BatchDone], None] | None,
) -> None:
    """Delete the room's expired messages batch by batch, counting them into `result`."""
    expired = _expired(room, cutoff)
    deleted = 0
    while True:
        started = time.monotonic()
        with transaction.atomic():
            batch = list(
                expired.order_by("seq")
                .select_for_update(skip_locked=True)
                .values_list("pk", "seq")[:size]
            )
            if batch:
                Message.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
                _record_deleted(room, len(batch), max(seq for _, seq in batch))
        if not batch:
            break
        seconds = time.monotonic() - started
        deleted += len(batch)
        result.deleted[room.slug] = deleted
        result.batches += 1
        result.longest_batch_seconds = max(result.longest_batch_seconds, seconds)
        if on_batch is not None:
            on_batch(BatchDone(room.slug, len(batch), deleted, result.total, seconds))
        # Fewer rows than asked for: none are left, or the rest are held by another
        # transaction (another run's batch), which deletes them or leaves them to next time.
        if len(batch) < size:
            break


def _record_deleted(room: Room, count: int, newest_seq: int) -> None:
    """Bring the room's row in step with a batch, in the batch's transaction: one fewer
    message per row, and history expired up to the newest seq deleted."""
    Room.objects.filter(pk=room.pk).update(
        # Greatest: a concurrent run may already have recorded a later batch of this room.
        history_expired_seq=Greatest(F("history_expired_seq"), Value(newest_seq)),
        # Floored at 0: a counter that had drifted must not make every prune fail on the
        # field's CHECK (>= 0) and leave expired messages in place.
        message_count=Greatest(F("message_count") - Value(count), Value(0)),
    )
