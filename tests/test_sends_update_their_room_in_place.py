"""Every batch of sends updates its room's counters. Those updates must be HOT (no indexed
column changes), or the room's row leaves a dead version with index entries per batch and
each send costs more the longer the room has been busy (docs/performance.md, "The room's
row")."""

import pytest
from django.db import connection

from chat import services

pytestmark = pytest.mark.django_db(transaction=True)


def room_updates() -> tuple[int, int]:
    """(updates, HOT updates) of chat_room, with this backend's pending counts flushed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'chat_room'"
        )
        return cursor.fetchone()


def test_sends_update_the_room_row_without_touching_its_indexes(alice, bob, room):
    updates_before, hot_before = room_updates()
    for n in range(40):
        services.post_message(room, alice if n % 2 else bob, f"message {n}", f"c{n}")
    updates_after, hot_after = room_updates()

    assert updates_after - updates_before == 40
    assert hot_after - hot_before == 40
