"""The `read` frame moves the person's read position forward only: a lower or equal seq
changes nothing and sends nothing, a seq above the room's last is clamped to it, and a seq
that is not a whole number from 0 up is answered `error` `invalid_seq`."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chat import membership
from chat.models import RoomMembership
from tests.conftest import fill_room

pytestmark = pytest.mark.django_db(transaction=True)


def read_frame(seq: int) -> dict:
    return {"type": "read", "room": "general", "seq": seq}


def position(user, room) -> int:
    return RoomMembership.objects.get(user=user, room=room).last_read_seq


async def test_forward_only_and_clamped_to_the_rooms_last_seq(alice, bob, room, connect):
    socket = await connect(bob)  # joins at 0
    await database_sync_to_async(fill_room)(room, alice, 4)

    await socket.send_json_to({"type": "read", "seq": 3})
    assert await socket.receive_json_from(timeout=5) == read_frame(3)
    assert await database_sync_to_async(position)(bob, room) == 3

    # Back, and the same again: nothing moves and nothing is sent. The next frame heard is
    # the answer to the clamped read that follows them.
    await socket.send_json_to({"type": "read", "seq": 1})
    await socket.send_json_to({"type": "read", "seq": 3})
    await socket.send_json_to({"type": "read", "seq": 99})
    assert await socket.receive_json_from(timeout=5) == read_frame(4)
    assert await database_sync_to_async(position)(bob, room) == 4

    await socket.send_json_to({"type": "read", "seq": 1000})  # clamped to 4: not a move
    assert await socket.receive_nothing(timeout=0.5)
    assert await database_sync_to_async(position)(bob, room) == 4


@pytest.mark.parametrize("seq", ["3", -1, 1.5, True, None, 2**63, [1]])
async def test_a_bad_seq_is_invalid_seq_and_moves_nothing(alice, bob, room, connect, seq):
    socket = await connect(bob)
    await database_sync_to_async(fill_room)(room, alice, 4)
    await socket.send_json_to({"type": "read", "seq": seq})
    answer = await socket.receive_json_from(timeout=5)
    assert answer["type"] == "error"
    assert answer["code"] == "invalid_seq"
    assert await database_sync_to_async(position)(bob, room) == 0


def test_the_service_says_whether_it_moved(alice, bob, room, django_assert_num_queries):
    membership.join(room, bob)
    fill_room(room, alice, 5)
    with django_assert_num_queries(1):  # one UPDATE, whether or not it moves
        assert membership.mark_read(room, bob, 2) is True
    assert membership.mark_read(room, bob, 2) is False
    assert membership.mark_read(room, bob, 0) is False
    assert membership.mark_read(room, bob, 9) is True
    assert position(bob, room) == 5
    assert membership.mark_read(room, bob, 9) is False
    # Not a member: no position to move, and none is made.
    assert membership.mark_read(room, alice, 3) is False
    assert not RoomMembership.objects.filter(user=alice).exists()
