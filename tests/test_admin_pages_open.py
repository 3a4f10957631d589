"""Every admin page a moderator uses opens for a moderator (not a superuser)."""

import pytest

from chat import services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/chat/room/",
        "/admin/chat/room/?q=gen",
        "/admin/chat/room/{room}/change/",
        "/admin/chat/message/",
        "/admin/chat/message/?q=hi",
        "/admin/chat/message/{message}/change/",
        "/admin/chat/roomban/",
        "/admin/chat/roomban/add/",
        "/admin/admin/logentry/",
        "/admin/chat/roommembership/",
        "/admin/chat/roommembership/?room={room}",
    ],
)
def test_moderator_pages_open(client, moderator, alice, bob, room, url):
    message = services.post_message(room, alice, "hi there", "c1").message
    services.restrict_user(room, bob, "mute", moderator)
    client.force_login(moderator)
    response = client.get(url.format(room=room.pk, message=message.pk))
    assert response.status_code == 200
