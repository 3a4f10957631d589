"""Every send checks again that its author's account is active, whatever the socket was told:
an account deactivated with no signal at all (a QuerySet update) saves nothing more, and
the socket is closed with 4401 at its next send."""

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from chat.models import Message
from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_send_after_a_silent_deactivation_saves_nothing_and_closes_4401(
    alice, bob, room, connect
):
    sender = await connect(alice)
    listener = await connect(bob)
    assert (await send_and_ack(sender, "before", "b1"))["type"] == "ack"
    for socket in (sender, listener):
        assert (await socket.receive_json_from(timeout=5))["type"] == "message"

    # No save(), so no signal: nothing tells the socket.
    await database_sync_to_async(User.objects.filter(pk=alice.pk).update)(is_active=False)
    await sender.send_json_to({"type": "message.send", "body": "after", "client_id": "a1"})

    closed = await sender.receive_output(timeout=5)
    assert (closed["type"], closed["code"]) == ("websocket.close", 4401)
    assert await listener.receive_nothing(timeout=0.5)
    bodies = await database_sync_to_async(lambda: list(Message.objects.values_list("body")))()
    assert bodies == [("before",)]
