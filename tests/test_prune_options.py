"""A dry run counts without deleting; a run limited to one room touches no other room; every
run logs its counts per room."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Message, Room
from chat.retention import prune_messages
from tests.retention_support import add_old_messages

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = timedelta(days=100)


@pytest.fixture
def two_old_rooms(settings, alice, room) -> tuple[Room, Room]:
    settings.CHAT_RETENTION_DAYS = 90
    other = Room.objects.create(name="Random", slug="random", created_by=alice)
    add_old_messages(room, alice, NOW, 4, OLD)
    add_old_messages(other, alice, NOW, 3, OLD)
    return room, other


def test_dry_run_counts_what_would_go_and_deletes_nothing(two_old_rooms):
    result = prune_messages(dry_run=True, now=NOW)
    assert result.dry_run
    assert result.deleted == {"general": 4, "random": 3}
    assert result.batches == 0
    assert Message.objects.count() == 7
    assert not Room.objects.filter(history_expired_seq__gt=0).exists()


def test_dry_run_count_matches_what_the_real_run_deletes(two_old_rooms):
    assert prune_messages(dry_run=True, now=NOW).deleted == prune_messages(now=NOW).deleted


def test_a_single_room_run_leaves_the_other_rooms_alone(two_old_rooms):
    room, other = two_old_rooms
    assert prune_messages(room_slug="random", now=NOW).deleted == {"random": 3}
    assert room.messages.count() == 4
    assert other.messages.count() == 0


def test_an_unknown_room_is_refused(two_old_rooms):
    with pytest.raises(Room.DoesNotExist):
        prune_messages(room_slug="nope", now=NOW)
    assert Message.objects.count() == 7


def test_a_run_logs_its_count_per_room_and_a_summary(two_old_rooms, caplog):
    with caplog.at_level(logging.INFO, logger="chat.retention"):
        prune_messages(batch_size=3, now=NOW)
    lines = [record.getMessage() for record in caplog.records]
    assert lines[:2] == [
        "Pruned 4 messages from room general",
        "Pruned 3 messages from room random",
    ]
    assert lines[2].startswith("Pruned 7 messages in 2 rooms (3 batches, longest ")
