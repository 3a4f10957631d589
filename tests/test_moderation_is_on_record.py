"""Every moderation action (hide, restore, delete, ban, mute, lift, lock, archive) leaves a
LogEntry saying who did what to which object, and when."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

from chat import services

pytestmark = pytest.mark.django_db


def entries() -> list[tuple[str, int, str]]:
    return list(
        LogEntry.objects.order_by("pk").values_list(
            "user__username", "action_flag", "change_message"
        )
    )


def test_each_action_is_logged_with_who_and_what(alice, bob, charlie, moderator, room):
    message = services.post_message(room, alice, "hello", "a1").message
    message_id = str(message.pk)

    services.hide_message(message, moderator)
    services.restore_message(message, moderator)
    services.set_room_state(room, moderator, locked=True)
    services.set_room_state(room, moderator, archived=True)
    ban = services.restrict_user(room, bob, "ban", moderator, reason="spam")
    services.restrict_user(room, charlie, "mute", moderator)
    services.lift_restriction(ban, moderator)
    services.delete_message(message, moderator)

    assert entries() == [
        ("maude", CHANGE, "Hid the message."),
        ("maude", CHANGE, "Restored the message."),
        ("maude", CHANGE, "Locked the room."),
        ("maude", CHANGE, "Archived the room."),
        ("maude", ADDITION, "Ban (cannot open the room): spam."),
        ("maude", ADDITION, "Mute (can read, cannot send): no reason."),
        ("maude", DELETION, "Lifted: Ban of bob in General."),
        ("maude", DELETION, "Deleted message #1 for good."),
    ]
    assert LogEntry.objects.filter(content_type__model="message", object_id=message_id).count() == 3


def test_a_repeated_hide_changes_and_logs_nothing(alice, moderator, room):
    message = services.post_message(room, alice, "hello", "a1").message
    assert services.hide_message(message, moderator) is True
    assert services.hide_message(message, moderator) is False
    assert len(entries()) == 1
