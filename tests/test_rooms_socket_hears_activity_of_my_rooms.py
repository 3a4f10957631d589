"""The my-rooms socket (/ws/rooms/) hears `room.activity` for each new message in the rooms
its person is a member of, whichever process the message was sent on, and nothing of the
other rooms; `read` and `rooms.changed` events reach it, and after `rooms.changed` it
watches the person's rooms as they now are.

Membership rows are made here directly and the person events told as chat/membership.py
tells them (`read_event`, `rooms_changed_event`), so that each step is this socket's alone;
tests/test_opening_a_room_joins_it_with_everything_read.py covers the services' side."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import pytest
from channels.db import database_sync_to_async
from websockets.asyncio.client import connect as ws_connect

from chat import membership
from chat.broadcast import tell_person_on_commit
from chat.models import Room, RoomMembership
from tests.conftest import send_and_ack, session_cookie, socket_for
from tests.processes import Processes
from tests.room_client import RoomSocket

pytestmark = pytest.mark.django_db(transaction=True)


def make_room(name: str, creator) -> Room:
    return Room.objects.create(name=name, slug=name.lower(), created_by=creator)


@database_sync_to_async
def become_member(user, room: Room) -> None:
    RoomMembership.objects.create(user=user, room=room)


@database_sync_to_async
def tell(user, event: dict) -> None:
    tell_person_on_commit(user.pk, event)


async def rooms_socket(user):
    socket = await socket_for(user, "", path="/ws/rooms/")
    connected, code = await socket.connect(timeout=5)
    assert connected, code
    return socket


def assert_activity(frame: dict, slug: str, seq: int, author, mentions=()) -> None:
    assert frame.keys() == {"type", "room", "seq", "author_id", "mentions", "at"}
    assert (frame["type"], frame["room"], frame["seq"]) == ("room.activity", slug, seq)
    assert (frame["author_id"], frame["mentions"]) == (author.pk, list(mentions))
    assert datetime.fromisoformat(frame["at"].replace("Z", "+00:00"))


async def test_activity_of_my_rooms_and_of_no_other(alice, bob, room, connect):
    other = await database_sync_to_async(make_room)("Other", alice)
    elsewhere = await database_sync_to_async(make_room)("Elsewhere", bob)
    await become_member(alice, room)
    await become_member(alice, other)
    sidebar = await rooms_socket(alice)

    await send_and_ack(await connect(bob, "general"), "hello", "g1")
    assert_activity(await sidebar.receive_json_from(timeout=5), "general", 1, bob)

    await send_and_ack(await connect(bob, "elsewhere"), "not for alice", "e1")
    await send_and_ack(await connect(bob, "other"), "hi @alice", "o1")
    # The next frame is the message in Other, which mentions her: Elsewhere's went to nobody
    # here.
    assert_activity(await sidebar.receive_json_from(timeout=5), "other", 1, bob, [alice.pk])
    assert await sidebar.receive_nothing(timeout=0.5)
    assert elsewhere.pk
    await sidebar.disconnect()


async def test_reads_and_joins_reach_the_sidebar(alice, bob, room, connect):
    elsewhere = await database_sync_to_async(make_room)("Elsewhere", bob)
    await become_member(alice, room)
    sidebar = await rooms_socket(alice)

    await tell(alice, membership.read_event("general", 3))
    assert await sidebar.receive_json_from(timeout=5) == {
        "type": "read",
        "room": "general",
        "seq": 3,
    }

    await become_member(alice, elsewhere)
    await tell(alice, membership.rooms_changed_event())
    assert await sidebar.receive_json_from(timeout=5) == {"type": "rooms.changed"}
    await asyncio.sleep(0.3)  # the socket reads the memberships again
    await send_and_ack(await connect(bob, "elsewhere"), "welcome", "w1")
    assert_activity(await sidebar.receive_json_from(timeout=5), "elsewhere", 1, bob)

    # Leaving: the room's activity stops.
    await database_sync_to_async(RoomMembership.objects.filter(user=alice, room=room).delete)()
    await tell(alice, membership.rooms_changed_event())
    assert (await sidebar.receive_json_from(timeout=5))["type"] == "rooms.changed"
    await asyncio.sleep(0.3)
    await send_and_ack(await connect(bob, "general"), "gone", "g2")
    await send_and_ack(await connect(bob, "elsewhere"), "still here", "w2")
    assert_activity(await sidebar.receive_json_from(timeout=5), "elsewhere", 2, bob)
    await sidebar.disconnect()


def test_activity_crosses_server_processes(alice, bob, room, tmp_path):
    RoomMembership.objects.create(user=alice, room=room)
    alice_cookie, bob_cookie = session_cookie(alice), session_cookie(bob)
    with Processes(tmp_path) as processes:
        one, two = processes.parley(count=2)

        async def scenario() -> None:
            async with ws_connect(
                f"{one.ws_url}/ws/rooms/",
                origin=one.url,
                additional_headers={"Cookie": alice_cookie.decode()},
            ) as sidebar:
                await asyncio.sleep(0.2)
                poster = await RoomSocket.open(two.ws_url, "general", bob_cookie)
                for n in range(1, 4):
                    await poster.send_message(f"m{n}", f"c{n}")
                for n in range(1, 4):
                    frame = json.loads(await asyncio.wait_for(sidebar.recv(), 10))
                    assert_activity(frame, "general", n, bob)
                await poster.close()

        asyncio.run(scenario())
