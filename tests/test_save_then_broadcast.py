"""A sent message is committed, acked to its sender, and broadcast to every socket of the
room over the real Redis channel layer."""

import pytest
from channels.db import database_sync_to_async

from chat import frames
from chat.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_message_reaches_a_second_socket_and_is_in_the_database(alice, bob, room, connect):
    sender = await connect(alice)
    listener = await connect(bob)

    await sender.send_json_to({"type": "message.send", "body": "Hello, Bob", "client_id": "c-1"})

    ack = await sender.receive_json_from(timeout=5)
    heard = await listener.receive_json_from(timeout=5)
    echoed = await sender.receive_json_from(timeout=5)

    stored = await database_sync_to_async(Message.objects.select_related("author").get)()
    assert ack == {"type": "ack", "client_id": "c-1", "id": stored.id, "seq": 1}
    assert (
        heard == echoed == {"type": "message", "message": frames.message_payload(stored, "general")}
    )
    assert heard["message"]["author"] == {"id": alice.id, "username": "alice"}
    assert heard["message"]["body"] == "Hello, Bob"


async def test_sockets_of_other_rooms_hear_nothing(alice, bob, room, connect):
    from chat.models import Room

    await database_sync_to_async(Room.objects.create)(name="Other", slug="other")
    sender = await connect(alice)
    elsewhere = await connect(bob, "other")

    await sender.send_json_to({"type": "message.send", "body": "only here", "client_id": "c-2"})
    assert (await sender.receive_json_from(timeout=5))["type"] == "ack"
    assert await elsewhere.receive_nothing(timeout=0.5)


async def test_body_is_stripped_and_stored_exactly_without_escaping(alice, room, connect):
    sender = await connect(alice)
    body = '  <b>bold</b> & "quotes"\n  second line\t '

    await sender.send_json_to({"type": "message.send", "body": body, "client_id": "c-3"})
    await sender.receive_json_from(timeout=5)
    broadcast = await sender.receive_json_from(timeout=5)

    stored = await database_sync_to_async(Message.objects.get)()
    assert stored.body == '<b>bold</b> & "quotes"\n  second line'
    assert broadcast["message"]["body"] == stored.body
