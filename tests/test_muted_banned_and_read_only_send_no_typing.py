"""A muted person's typing reaches nobody, nor does anyone's in a locked or archived room
(learnt live from the moderator's change); a banned person's socket is closed, and their
typing with it. Lifting the mute or unlocking lets typing through again."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from chat import services
from tests.presence_support import next_typing

pytestmark = pytest.mark.django_db(transaction=True)

restrict_user = database_sync_to_async(services.restrict_user)
lift_restriction = database_sync_to_async(services.lift_restriction)
set_room_state = database_sync_to_async(services.set_room_state)


async def next_of_type(socket, kind: str) -> dict:
    while (frame := await socket.receive_json_from(timeout=5))["type"] != kind:
        pass
    return frame


async def test_a_muted_person_sends_no_typing(alice, bob, charlie, moderator, room, connect):
    listener = await connect(bob, hear_presence=True)
    muted = await connect(alice)
    other = await connect(charlie)
    mute = await restrict_user(room, alice, "mute", moderator)
    await next_of_type(muted, "restriction")

    await muted.send_json_to({"type": "typing"})
    await other.send_json_to({"type": "typing"})
    assert (await next_typing(listener))["user"]["username"] == "charlie"
    with pytest.raises(TimeoutError):
        await next_typing(listener, within=1)

    await lift_restriction(mute, moderator)
    await next_of_type(muted, "restriction")
    await muted.send_json_to({"type": "typing"})
    assert (await next_typing(listener))["user"]["username"] == "alice"


@pytest.mark.parametrize("state", ["locked", "archived"])
async def test_a_read_only_room_sends_no_typing(alice, bob, moderator, room, connect, state):
    listener = await connect(bob, hear_presence=True)
    typist = await connect(alice)
    await set_room_state(room, moderator, **{state: True})
    await next_of_type(typist, "room.updated")

    await typist.send_json_to({"type": "typing"})
    with pytest.raises(TimeoutError):
        await next_typing(listener, within=1.5)

    await set_room_state(room, moderator, **{state: False})
    await next_of_type(typist, "room.updated")
    await typist.send_json_to({"type": "typing"})
    assert (await next_typing(listener))["user"]["username"] == "alice"


async def test_a_banned_persons_socket_types_no_more(alice, bob, moderator, room, connect):
    listener = await connect(bob, hear_presence=True)
    banned = await connect(alice)
    await restrict_user(room, alice, "ban", moderator)
    closed = await banned.receive_output(timeout=5)
    assert (closed["type"], closed["code"]) == ("websocket.close", 4403)

    await banned.send_json_to({"type": "typing"})
    await asyncio.sleep(0.2)
    with pytest.raises(TimeoutError):
        await next_typing(listener, within=1.5)
