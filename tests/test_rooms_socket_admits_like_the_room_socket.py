"""The my-rooms socket is admitted as the room socket is, minus the room: signed out is
4401, a foreign origin is refused, it counts against CHAT_MAX_SOCKETS_PER_USER (4429), and
signing out closes it. It takes no frames: anything is answered `error` `unknown_type`
(`bad_frame` for what is not a frame at all)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from accounts import revocation
from tests.conftest import socket_for

pytestmark = pytest.mark.django_db(transaction=True)


async def open_rooms(user, origin: bytes = b"http://localhost"):
    socket = await socket_for(user, "", origin=origin, path="/ws/rooms/")
    connected, code = await socket.connect(timeout=5)
    return socket, connected, code


async def close_code(socket) -> int:
    output = await socket.receive_output(timeout=5)
    assert output["type"] == "websocket.close"
    return output["code"]


async def test_signed_out_is_4401(room):
    socket, connected, _ = await open_rooms(None)
    assert connected  # accepted, then closed with the code the page understands
    assert await close_code(socket) == 4401


async def test_a_foreign_origin_is_refused(alice):
    _, connected, _ = await open_rooms(alice, origin=b"http://evil.example")
    assert not connected


async def test_it_counts_against_the_socket_cap(alice, room, connect, settings):
    settings.CHAT_MAX_SOCKETS_PER_USER = 2
    await connect(alice)
    sidebar, connected, _ = await open_rooms(alice)
    assert connected
    third, connected, _ = await open_rooms(alice)
    assert await close_code(third) == 4429
    await sidebar.disconnect()


async def test_frames_are_answered_unknown_type(alice):
    socket, connected, _ = await open_rooms(alice)
    assert connected
    await socket.send_json_to({"type": "message.send", "body": "hi", "client_id": "c1"})
    answer = await socket.receive_json_from(timeout=5)
    assert (answer["type"], answer["code"]) == ("error", "unknown_type")
    await socket.send_to(text_data="not json")
    assert (await socket.receive_json_from(timeout=5))["code"] == "bad_frame"
    await socket.disconnect()


async def test_signing_out_closes_it(alice):
    socket, connected, _ = await open_rooms(alice)
    assert connected
    await database_sync_to_async(revocation.sign_out)(alice.pk)
    assert await close_code(socket) == 4401
