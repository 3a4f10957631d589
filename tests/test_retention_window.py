"""Which messages retention deletes: those older than their room's retention (the room's own
setting, else CHAT_RETENTION_DAYS), never newer ones, never in rooms kept forever."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Message, Room
from chat.retention import prune_messages
from tests.retention_support import add_messages

pytestmark = pytest.mark.django_db

NOW = timezone.now()
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)


def bodies(room: Room) -> list[str]:
    return list(room.messages.order_by("seq").values_list("body", flat=True))


@pytest.fixture
def other_room(alice) -> Room:
    return Room.objects.create(name="Random", slug="random", created_by=alice)


def test_global_retention_deletes_just_outside_the_window_and_keeps_just_inside(
    settings, alice, room
):
    settings.CHAT_RETENTION_DAYS = 30
    add_messages(room, alice, NOW, 30 * DAY + SECOND, 30 * DAY, 30 * DAY - SECOND, DAY)
    result = prune_messages(now=NOW)
    assert result.deleted == {"general": 1}
    # Exactly 30 days old is not older than 30 days: kept.
    assert bodies(room) == ["m2", "m3", "m4"]


def test_a_rooms_own_retention_overrides_the_global_one(settings, alice, room, other_room):
    settings.CHAT_RETENTION_DAYS = 30
    Room.objects.filter(pk=room.pk).update(retention_days=7)
    add_messages(room, alice, NOW, 7 * DAY + SECOND, 7 * DAY - SECOND)
    add_messages(other_room, alice, NOW, 7 * DAY + SECOND, 7 * DAY - SECOND)
    result = prune_messages(now=NOW)
    assert result.deleted == {"general": 1}
    assert bodies(room) == ["m2"]
    assert bodies(other_room) == ["m1", "m2"]


def test_a_room_can_keep_longer_than_the_global_retention(settings, alice, room):
    settings.CHAT_RETENTION_DAYS = 7
    Room.objects.filter(pk=room.pk).update(retention_days=365)
    add_messages(room, alice, NOW, 365 * DAY + SECOND, 364 * DAY, 8 * DAY)
    assert prune_messages(now=NOW).deleted == {"general": 1}
    assert bodies(room) == ["m2", "m3"]


def test_a_room_with_retention_zero_keeps_everything_forever(settings, alice, room):
    settings.CHAT_RETENTION_DAYS = 1
    Room.objects.filter(pk=room.pk).update(retention_days=0)
    add_messages(room, alice, NOW, 3650 * DAY, 2 * DAY)
    assert prune_messages(now=NOW).deleted == {}
    assert bodies(room) == ["m1", "m2"]


def test_global_zero_keeps_rooms_without_their_own_setting_forever(
    settings, alice, room, other_room
):
    settings.CHAT_RETENTION_DAYS = 0
    Room.objects.filter(pk=other_room.pk).update(retention_days=5)
    add_messages(room, alice, NOW, 3650 * DAY, 6 * DAY)
    add_messages(other_room, alice, NOW, 3650 * DAY, 6 * DAY, 4 * DAY)
    assert prune_messages(now=NOW).deleted == {"random": 2}
    assert bodies(room) == ["m1", "m2"]
    assert bodies(other_room) == ["m3"]


def test_messages_out_of_clock_order_never_cost_one_inside_the_window(settings, alice, room):
    # Seq and created_at normally grow together. If a clock stepped back, the rule (older
    # than the window) still decides: m3 is kept, and m4, expired but behind it in seq
    # order, waits for a run after m3 has expired too.
    settings.CHAT_RETENTION_DAYS = 30
    add_messages(room, alice, NOW, 40 * DAY, 31 * DAY)
    Message.objects.create(
        room=room, seq=3, author=alice, body="m3", client_id="r3", created_at=NOW - 29 * DAY
    )
    Message.objects.create(
        room=room, seq=4, author=alice, body="m4", client_id="r4", created_at=NOW - 35 * DAY
    )
    assert prune_messages(now=NOW).deleted == {"general": 2}
    assert bodies(room) == ["m3", "m4"]
    assert prune_messages(now=NOW + 2 * DAY).deleted == {"general": 2}
