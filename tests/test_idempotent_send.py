"""A repeated client_id from the same author makes one row, one broadcast, identical acks."""

import pytest
from channels.db import database_sync_to_async

from chat import services
from chat.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_duplicate_client_id_gives_one_row_one_broadcast_two_identical_acks(
    alice, bob, room, connect
):
    sender = await connect(alice)
    listener = await connect(bob)
    frame = {"type": "message.send", "body": "once", "client_id": "same-id"}

    await sender.send_json_to(frame)
    first_ack = await sender.receive_json_from(timeout=5)
    assert (await sender.receive_json_from(timeout=5))["type"] == "message"
    await sender.send_json_to({**frame, "body": "once, resent"})
    second_ack = await sender.receive_json_from(timeout=5)

    assert first_ack == second_ack
    assert first_ack["type"] == "ack"
    assert (await listener.receive_json_from(timeout=5))["message"]["body"] == "once"
    assert await listener.receive_nothing(timeout=0.5)
    assert await sender.receive_nothing(timeout=0.2)
    assert await database_sync_to_async(Message.objects.count)() == 1


async def test_a_resend_on_a_new_socket_is_still_deduplicated(alice, room, connect):
    first = await connect(alice)
    await first.send_json_to({"type": "message.send", "body": "hi", "client_id": "k"})
    ack = await first.receive_json_from(timeout=5)
    assert (await first.receive_json_from(timeout=5))["type"] == "message"
    await first.disconnect()

    second = await connect(alice)
    await second.send_json_to({"type": "message.send", "body": "hi", "client_id": "k"})
    assert await second.receive_json_from(timeout=5) == ack
    assert await second.receive_nothing(timeout=0.3)


def test_same_client_id_from_different_authors_are_different_messages(alice, bob, room):
    first = services.post_message(room, alice, "mine", "shared")
    second = services.post_message(room, bob, "mine too", "shared")
    assert first.created and second.created
    assert (first.message.seq, second.message.seq) == (1, 2)
