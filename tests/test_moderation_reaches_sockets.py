"""What moderators do reaches open sockets at once, over the real Redis channel layer."""

import pytest
from channels.db import database_sync_to_async

from chat import services
from chat.models import Message
from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)

hide_message = database_sync_to_async(services.hide_message)
restore_message = database_sync_to_async(services.restore_message)
set_room_state = database_sync_to_async(services.set_room_state)
restrict_user = database_sync_to_async(services.restrict_user)
lift_restriction = database_sync_to_async(services.lift_restriction)


async def posted(socket, body: str, client_id: str) -> Message:
    ack = await send_and_ack(socket, body, client_id)
    return await database_sync_to_async(Message.objects.select_related("room").get)(pk=ack["id"])


async def next_of_type(socket, kind: str) -> dict:
    while (frame := await socket.receive_json_from(timeout=5))["type"] != kind:
        pass
    return frame


async def test_hide_then_restore_reach_every_socket(alice, bob, moderator, room, connect):
    author = await connect(alice)
    reader = await connect(bob)
    message = await posted(author, "rude words", "r1")
    await next_of_type(reader, "message")

    assert await hide_message(message, moderator)
    assert await next_of_type(reader, "message.hidden") == {
        "type": "message.hidden",
        "id": message.pk,
        "seq": message.seq,
    }

    assert await restore_message(message, moderator)
    restored = await next_of_type(reader, "message.restored")
    assert restored["message"]["body"] == "rude words"
    assert restored["message"]["seq"] == message.seq


async def test_locking_reaches_sockets_and_refuses_sends(alice, moderator, room, connect):
    socket = await connect(alice)
    await set_room_state(room, moderator, locked=True)
    update = await next_of_type(socket, "room.updated")
    assert update["room"] == {
        "slug": "general",
        "name": "General",
        "locked": True,
        "archived": False,
    }

    refused = await send_and_ack(socket, "anyone?", "l1")
    assert (refused["type"], refused["code"]) == ("error", "room_locked")
    assert await database_sync_to_async(Message.objects.count)() == 0

    await set_room_state(room, moderator, locked=False)
    assert (await next_of_type(socket, "room.updated"))["room"]["locked"] is False
    assert (await send_and_ack(socket, "anyone?", "l1"))["type"] == "ack"


async def test_archived_rooms_are_read_only(alice, moderator, room, connect):
    socket = await connect(alice)
    await set_room_state(room, moderator, archived=True)
    assert (await next_of_type(socket, "room.updated"))["room"]["archived"] is True
    assert (await send_and_ack(socket, "hello", "a1"))["code"] == "room_locked"


async def test_a_ban_closes_the_banned_users_sockets_with_4403(
    alice, bob, moderator, room, connect
):
    banned = await connect(bob)
    bystander = await connect(alice)

    await restrict_user(room, bob, "ban", moderator, reason="spam")

    assert await banned.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    assert await bystander.receive_nothing(timeout=0.5)
    from tests.conftest import socket_for

    again = await socket_for(bob, "general")
    assert (await again.connect())[0]
    assert await again.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}


async def test_a_mute_is_announced_to_the_muted_user_and_refuses_their_sends(
    alice, charlie, moderator, room, connect
):
    muted = await connect(charlie)
    bystander = await connect(alice)

    mute = await restrict_user(room, charlie, "mute", moderator, reason="cool off")

    assert await next_of_type(muted, "restriction") == {
        "type": "restriction",
        "kind": "mute",
        "until": None,
        "reason": "cool off",
    }
    refused = await send_and_ack(muted, "but why", "m1")
    assert (refused["type"], refused["code"]) == ("error", "muted")
    assert await database_sync_to_async(Message.objects.count)() == 0
    assert await bystander.receive_nothing(timeout=0.3)

    await lift_restriction(mute, moderator)
    lifted = await next_of_type(muted, "restriction")
    assert lifted["kind"] is None
    assert (await send_and_ack(muted, "thanks", "m2"))["type"] == "ack"
