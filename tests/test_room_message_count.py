"""Room.message_count follows posts and deletions, so lists never need COUNT(*)."""

import pytest

from chat import services

pytestmark = pytest.mark.django_db


def test_posting_and_deleting_keep_the_count(alice, moderator, room):
    first = services.post_message(room, alice, "one", "c1").message
    services.post_message(room, alice, "two", "c2")
    services.post_message(room, alice, "two again", "c2")  # a repeat adds nothing
    room.refresh_from_db()
    assert room.message_count == 2

    services.delete_message(first, moderator)
    room.refresh_from_db()
    assert room.message_count == room.messages.count() == 1


def test_hiding_keeps_the_count(alice, moderator, room):
    message = services.post_message(room, alice, "one", "c1").message
    services.hide_message(message, moderator)
    room.refresh_from_db()
    assert room.message_count == 1
