"""A ban committed while a socket is connecting (after its room was found, before it joined
the room's group) still keeps the person out: the socket joins first and checks after."""

import pytest

from chat import consumers, services
from tests.conftest import socket_for

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_ban_committed_between_room_lookup_and_join_refuses_the_socket(
    bob, moderator, room, monkeypatch
):
    find_room = services.find_room

    def find_room_then_ban(slug: str):
        found = find_room(slug)
        services.restrict_user(room, bob, "ban", moderator)
        return found

    monkeypatch.setattr(services, "find_room", find_room_then_ban)
    socket = await socket_for(bob, "general")
    connected, _ = await socket.connect(timeout=5)
    assert connected  # refusals are accepted, then closed with their code
    closing = await socket.receive_output(timeout=5)
    assert (closing["type"], closing["code"]) == ("websocket.close", consumers.CLOSE_FORBIDDEN)
    await socket.disconnect()
