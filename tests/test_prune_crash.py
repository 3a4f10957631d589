"""A prune run killed part way keeps what it committed, loses only its open batch, and the
next run finishes the job."""

import multiprocessing
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chat.retention import prune_messages
from tests.retention_support import add_messages, add_old_messages, prune_then_die

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_run_killed_inside_a_batch_rolls_that_batch_back_and_the_next_run_finishes(
    settings, alice, room
):
    # The killed run is another process: it reads CHAT_RETENTION_DAYS from the environment
    # (default 90), so the messages are made well past that and this process agrees.
    settings.CHAT_RETENTION_DAYS = 90
    add_old_messages(room, alice, timezone.now(), 10, timedelta(days=100))
    add_messages(room, alice, timezone.now(), timedelta(days=1))

    # SIGKILL in the third batch of 3, after its DELETE and room update, before its commit.
    child = multiprocessing.get_context("spawn").Process(
        target=prune_then_die, args=(connection.settings_dict["NAME"], 3, 3)
    )
    child.start()
    child.join(60)
    assert child.exitcode == -9

    # Two batches committed, each with its record; the third rolled back entirely.
    assert list(room.messages.values_list("seq", flat=True).order_by("seq")) == [7, 8, 9, 10, 11]
    room.refresh_from_db()
    assert (room.history_expired_seq, room.message_count) == (6, 5)

    result = prune_messages(batch_size=3)
    assert result.deleted == {"general": 4}
    assert list(room.messages.values_list("seq", flat=True)) == [11]
    room.refresh_from_db()
    assert (room.history_expired_seq, room.message_count) == (10, 1)
