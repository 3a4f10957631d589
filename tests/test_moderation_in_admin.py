"""A moderator (staff in the Moderators group, not a superuser) can do every moderation
action in the admin; a staff user without the permissions can do none of them."""

import pytest
from django.contrib.admin.models import LogEntry

from chat import services
from chat.models import Message, Room, RoomBan

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def message(room, alice) -> Message:
    return services.post_message(room, alice, "rude words", "m1").message


def run_action(client, model: str, action: str, pks: list[int]):
    return client.post(
        f"/admin/chat/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
    )


def test_moderator_hides_and_restores_a_message(client, moderator, message):
    client.force_login(moderator)
    assert run_action(client, "message", "hide_messages", [message.pk]).status_code == 302
    message.refresh_from_db()
    assert message.is_hidden and message.hidden_by == moderator
    assert run_action(client, "message", "restore_messages", [message.pk]).status_code == 302
    message.refresh_from_db()
    assert not message.is_hidden


def test_moderator_deletes_a_message_for_good(client, moderator, message):
    client.force_login(moderator)
    assert run_action(client, "message", "delete_for_good", [message.pk]).status_code == 302
    assert not Message.objects.exists()


def test_moderator_locks_and_archives_rooms(client, moderator, room):
    client.force_login(moderator)
    run_action(client, "room", "lock_rooms", [room.pk])
    run_action(client, "room", "archive_rooms", [room.pk])
    room.refresh_from_db()
    assert room.is_locked and room.is_archived


def test_moderator_locks_a_room_from_its_change_form(client, moderator, room):
    client.force_login(moderator)
    response = client.post(
        f"/admin/chat/room/{room.pk}/change/",
        {
            "name": "General",
            "is_locked": "on",
            "retention_days": "",
            "bans-TOTAL_FORMS": "0",
            "bans-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    room.refresh_from_db()
    assert room.is_locked
    assert LogEntry.objects.filter(change_message="Locked the room.").exists()


def test_moderator_bans_and_mutes_from_the_admin(client, moderator, room, bob, charlie):
    client.force_login(moderator)
    for user, kind in [(bob, "ban"), (charlie, "mute")]:
        response = client.post(
            "/admin/chat/roomban/add/",
            {"room": room.pk, "user": user.pk, "kind": kind, "reason": "spam", "until": ""},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    assert set(RoomBan.objects.values_list("user__username", "kind")) == {
        ("bob", "ban"),
        ("charlie", "mute"),
    }
    assert RoomBan.objects.get(user=bob).created_by == moderator


def test_moderator_sees_the_moderation_record(client, moderator, message):
    client.force_login(moderator)
    run_action(client, "message", "hide_messages", [message.pk])
    response = client.get("/admin/admin/logentry/")
    assert response.status_code == 200
    assert "Hid the message." in response.content.decode()


@pytest.mark.parametrize(
    ("model", "action"),
    [
        ("message", "hide_messages"),
        ("message", "restore_messages"),
        ("message", "delete_for_good"),
        ("room", "lock_rooms"),
        ("room", "archive_rooms"),
    ],
)
def test_staff_without_permissions_cannot_moderate(client, plain_staff, message, model, action):
    message.hidden_at = None
    client.force_login(plain_staff)
    response = run_action(client, model, action, [message.pk if model == "message" else 1])
    assert response.status_code == 403
    message.refresh_from_db()
    assert not message.is_hidden
    assert not Room.objects.filter(is_locked=True).exists()
    assert Message.objects.count() == 1


def test_staff_without_permissions_cannot_ban(client, plain_staff, room, bob):
    client.force_login(plain_staff)
    response = client.post(
        "/admin/chat/roomban/add/", {"room": room.pk, "user": bob.pk, "kind": "ban"}
    )
    assert response.status_code == 403
    assert not RoomBan.objects.exists()


def test_services_refuse_users_without_the_permission(plain_staff, message, room, bob):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.hide_message(message, plain_staff)
    with pytest.raises(PermissionDenied):
        services.set_room_state(room, plain_staff, locked=True)
    with pytest.raises(PermissionDenied):
        services.restrict_user(room, bob, "ban", plain_staff)
