"""Helpers for the retention tests: messages of a chosen age, and a prune run that is killed
part way in a process of its own.

Imports Django models lazily: `prune_then_die` runs in a freshly spawned process, which must
set Django up before any model is imported.
"""

from __future__ import annotations

import os
import signal
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User
    from chat.models import Room


def add_messages(room: Room, author: User, now: datetime, *ages: timedelta) -> list[int]:
    """Append one message per age, posted that long before `now`; returns their seqs.

    Give the ages oldest first: posting assigns seq and created_at under the room's lock, so
    both grow together, and retention relies on that.
    """
    from django.db.models import F

    from chat.models import Message, Room

    assert list(ages) == sorted(ages, reverse=True), "ages must be oldest first"
    start = room.last_seq
    seqs = [start + n for n in range(1, len(ages) + 1)]
    Message.objects.bulk_create(
        Message(
            room=room,
            author=author,
            seq=seq,
            body=f"m{seq}",
            client_id=f"r{seq}",
            created_at=now - age,
        )
        for seq, age in zip(seqs, ages, strict=True)
    )
    Room.objects.filter(pk=room.pk).update(
        last_seq=seqs[-1] if seqs else start, message_count=F("message_count") + len(seqs)
    )
    room.refresh_from_db()
    return seqs


def add_old_messages(room: Room, author: User, now: datetime, count: int, age: timedelta) -> None:
    """`count` messages, all at least `age` old (a second apart, oldest first)."""
    add_messages(room, author, now, *(age + timedelta(seconds=count - n) for n in range(count)))


def prune_then_die(database_name: str, batch_size: int, die_in_batch: int) -> None:
    """Run retention in this (spawned) process and SIGKILL it inside batch `die_in_batch`,
    after that batch's DELETE and room update but before its commit."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["NAME"] = database_name

    from chat import retention

    record = retention._record_deleted
    calls = 0

    def record_then_die(room: Room, count: int, newest_seq: int) -> None:
        nonlocal calls
        record(room, count, newest_seq)
        calls += 1
        if calls == die_in_batch:
            os.kill(os.getpid(), signal.SIGKILL)

    retention._record_deleted = record_then_die
    retention.prune_messages(batch_size=batch_size)
    raise AssertionError("the run should have been killed")
