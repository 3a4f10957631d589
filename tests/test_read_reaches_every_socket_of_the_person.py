"""When a `read` moves the position, every socket of the person hears `read` with the room and
the new seq: their other tab in the same room and their socket in another room, on two other
server processes as well as this one. Nobody else hears it, and a read that does not move
sends nothing anywhere."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from chat.models import Room
from tests.conftest import fill_room, session_cookie
from tests.room_client import RoomSocket

pytestmark = pytest.mark.django_db(transaction=True)


async def test_every_socket_on_every_process_hears_it(alice, bob, room, connect, serve):
    await database_sync_to_async(Room.objects.create)(name="Random", slug="random")
    # Two web processes sharing this run's channel layer, as two servers behind a proxy.
    first = serve(CHANNEL_LAYER_PREFIX=settings.CHANNEL_LAYER_PREFIX)
    second = serve(CHANNEL_LAYER_PREFIX=settings.CHANNEL_LAYER_PREFIX)
    alice_cookie = await database_sync_to_async(session_cookie)(alice)
    bob_cookie = await database_sync_to_async(session_cookie)(bob)

    reader = await connect(alice)  # in this process
    same_room_elsewhere = await RoomSocket.open(
        f"ws://127.0.0.1:{first.port}", "general", alice_cookie
    )
    other_room_elsewhere = await RoomSocket.open(
        f"ws://127.0.0.1:{second.port}", "random", alice_cookie
    )
    someone_else = await RoomSocket.open(f"ws://127.0.0.1:{second.port}", "general", bob_cookie)
    try:
        await database_sync_to_async(fill_room)(room, bob, 5)
        await reader.send_json_to({"type": "read", "seq": 4})
        expected = {"type": "read", "room": "general", "seq": 4}
        assert await reader.receive_json_from(timeout=10) == expected
        assert await same_room_elsewhere.next_of("read") == expected
        assert await other_room_elsewhere.next_of("read") == expected

        # Not moved (back), then moved again: the next `read` anyone hears is seq 5.
        await reader.send_json_to({"type": "read", "seq": 2})
        await reader.send_json_to({"type": "read", "seq": 5})
        expected = {"type": "read", "room": "general", "seq": 5}
        assert await reader.receive_json_from(timeout=10) == expected
        assert await same_room_elsewhere.next_of("read") == expected
        assert await other_room_elsewhere.next_of("read") == expected

        # Bob heard none of it: what reaches him next is his own read.
        await someone_else.send({"type": "read", "seq": 1})
        assert await someone_else.frame() == {"type": "read", "room": "general", "seq": 1}
    finally:
        for socket in (same_room_elsewhere, other_room_elsewhere, someone_else):
            await socket.close()
