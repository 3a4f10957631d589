"""A socket that idles past redis-py 8's default 5 s socket timeout still gets messages
(channels_redis#422): the layer's Redis connections have no read timeout.

Measured: with RedisChannelLayer and no `socket_timeout: None`, this test fails; the pub/sub
layer polls and survives either way, so this guards the setting if the layer changes.
"""

import asyncio

import pytest

from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)


async def test_listener_idle_for_eleven_seconds_still_receives(alice, bob, room, connect):
    listener = await connect(bob)
    sender = await connect(alice)

    await asyncio.sleep(11)

    ack = await send_and_ack(sender, "still there?", "idle-1")
    heard = await listener.receive_json_from(timeout=5)
    assert heard["message"]["seq"] == ack["seq"]
    assert heard["message"]["body"] == "still there?"
