"""When the database refuses a save, the sender gets `unavailable`, nothing is saved or
broadcast, the socket stays usable, and a retry with the same client_id succeeds later."""

from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from tests.conftest import send_and_ack
from tests.outage import Outage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def outage() -> Iterator[Outage]:
    outage = Outage()
    yield outage
    outage.end()


async def test_save_failure_gives_unavailable_and_no_broadcast(alice, bob, room, connect, outage):
    sender = await connect(alice)
    listener = await connect(bob)
    frame = {"type": "message.send", "body": "hello?", "client_id": "retry-me"}

    with outage.during():
        await sender.send_json_to(frame)
        error = await sender.receive_json_from(timeout=15)
        assert error["type"] == "error"
        assert error["code"] == "unavailable"
        assert error["client_id"] == "retry-me"
        assert await listener.receive_nothing(timeout=0.5)

    assert await database_sync_to_async(Message.objects.count)() == 0

    ack = await send_and_ack(sender, "hello?", "retry-me")
    assert ack["type"] == "ack"
    assert ack["seq"] == 1
    heard = await listener.receive_json_from(timeout=5)
    assert heard["message"]["client_id"] == "retry-me"
    assert await database_sync_to_async(Message.objects.count)() == 1


async def test_history_while_the_database_is_down_gives_unavailable(alice, room, connect, outage):
    socket = await connect(alice)
    with outage.during():
        await socket.send_json_to({"type": "history", "before_seq": None, "limit": 10})
        error = await socket.receive_json_from(timeout=15)
    assert (error["code"], error["client_id"]) == ("unavailable", None)

    await socket.send_json_to({"type": "history", "limit": 10})
    assert await socket.receive_json_from(timeout=5) == {
        "type": "history",
        "messages": [],
        "has_more": False,
        "history_limited": False,
    }
