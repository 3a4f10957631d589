"""Pruning deletes in bounded batches, records how far history expired, and is idempotent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Room
from chat.retention import prune_messages
from tests.retention_support import add_messages, add_old_messages

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = timedelta(days=100)


@pytest.fixture(autouse=True)
def ninety_days(settings) -> None:
    settings.CHAT_RETENTION_DAYS = 90


def test_eleven_old_rows_go_in_six_batches_of_at_most_two(alice, room):
    add_old_messages(room, alice, NOW, 11, OLD)
    add_messages(room, alice, NOW, timedelta(days=1))
    sizes: list[int] = []
    result = prune_messages(batch_size=2, now=NOW, on_batch=lambda done: sizes.append(done.deleted))
    assert result.deleted == {"general": 11}
    assert result.batches == 6
    assert sizes == [2, 2, 2, 2, 2, 1]
    assert list(room.messages.values_list("seq", flat=True)) == [12]


def test_a_second_run_deletes_nothing(alice, room):
    add_old_messages(room, alice, NOW, 11, OLD)
    prune_messages(batch_size=2, now=NOW)
    again = prune_messages(batch_size=2, now=NOW)
    assert again.deleted == {}
    assert again.batches == 0
    assert again.total == 0


def test_history_expired_seq_is_the_newest_seq_deleted(alice, room):
    add_old_messages(room, alice, NOW, 7, OLD)
    add_messages(room, alice, NOW, timedelta(days=1))
    prune_messages(batch_size=3, now=NOW)
    room.refresh_from_db()
    assert room.history_expired_seq == 7


def test_message_count_drops_by_exactly_the_rows_deleted(alice, room):
    add_old_messages(room, alice, NOW, 7, OLD)
    add_messages(room, alice, NOW, timedelta(days=2), timedelta(days=1))
    assert room.message_count == 9
    prune_messages(batch_size=3, now=NOW)
    room.refresh_from_db()
    assert room.message_count == 2 == room.messages.count()


def test_a_drifted_message_count_stops_at_zero_instead_of_failing_the_prune(alice, room):
    add_old_messages(room, alice, NOW, 5, OLD)
    Room.objects.filter(pk=room.pk).update(message_count=3)
    assert prune_messages(now=NOW).deleted == {"general": 5}
    room.refresh_from_db()
    assert room.message_count == 0


def test_history_expired_seq_never_goes_down(alice, room):
    add_old_messages(room, alice, NOW, 5, OLD)
    # As if a concurrent run had already recorded a later batch.
    Room.objects.filter(pk=room.pk).update(history_expired_seq=40)
    prune_messages(now=NOW)
    room.refresh_from_db()
    assert room.history_expired_seq == 40
    assert room.messages.count() == 0


def test_rooms_with_nothing_expired_are_left_out_of_the_counts(alice, room):
    add_messages(room, alice, NOW, timedelta(days=2), timedelta(days=1))
    result = prune_messages(now=NOW)
    assert result.deleted == {}
    room.refresh_from_db()
    assert room.history_expired_seq == 0
