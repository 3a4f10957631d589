"""Bans keep people out of a room's page, socket and API; mutes let them read but not send;
entries whose `until` has passed stop applying without anyone touching them."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.models import Message, RoomBan

pytestmark = pytest.mark.django_db


def test_banned_user_gets_403_on_the_room_page_and_api(client, bob, moderator, room):
    services.restrict_user(room, bob, "ban", moderator)
    client.force_login(bob)
    assert client.get("/chat/general/").status_code == 403
    assert client.get("/api/rooms/general/messages/").status_code == 403


def test_banned_user_cannot_post(bob, moderator, room):
    services.restrict_user(room, bob, "ban", moderator)
    with pytest.raises(services.PermissionDenied):
        services.post_message(room, bob, "hi", "b1")
    assert not Message.objects.exists()


def test_muted_user_reads_but_cannot_post(client, charlie, moderator, room):
    services.restrict_user(room, charlie, "mute", moderator)
    client.force_login(charlie)
    assert client.get("/chat/general/").status_code == 200
    with pytest.raises(services.Rejected) as refusal:
        services.post_message(room, charlie, "hi", "c1")
    assert refusal.value.code == "muted"
    assert not Message.objects.exists()


def test_bans_apply_per_room(client, bob, moderator, room):
    other = services.open_room("Other", moderator)
    services.restrict_user(room, bob, "ban", moderator)
    assert services.post_message(other, bob, "fine here", "o1").created


def test_expired_entries_stop_applying(client, bob, charlie, moderator, room):
    past = timezone.now() - timedelta(seconds=1)
    services.restrict_user(room, bob, "ban", moderator, until=past)
    services.restrict_user(room, charlie, "mute", moderator, until=past)
    client.force_login(bob)
    assert client.get("/chat/general/").status_code == 200
    assert services.post_message(room, bob, "back", "b1").created
    assert services.post_message(room, charlie, "me too", "c1").created


def test_a_mute_ends_by_itself_when_its_time_is_up(charlie, moderator, room):
    services.restrict_user(
        room, charlie, "mute", moderator, until=timezone.now() + timedelta(seconds=1)
    )
    with pytest.raises(services.Rejected):
        services.post_message(room, charlie, "now?", "c1")
    time.sleep(1.2)
    assert services.post_message(room, charlie, "now?", "c1").created
    assert RoomBan.objects.count() == 1


def test_archived_rooms_leave_the_index(client, alice, moderator, room):
    services.set_room_state(room, moderator, archived=True)
    client.force_login(alice)
    assert list(client.get("/").context["rooms"]) == []
    assert client.get("/chat/general/").status_code == 200


def test_a_ban_outranks_a_mute(bob, moderator, room):
    services.restrict_user(room, bob, "mute", moderator)
    services.restrict_user(room, bob, "ban", moderator)
    assert services.restriction_of(room, bob).kind == "ban"
    with pytest.raises(services.PermissionDenied):
        services.post_message(room, bob, "hi", "b1")
