"""The server passes on one `typing` per second per socket and drops the rest silently: no
error frame, and other people hear one frame, not ten."""

from __future__ import annotations

import asyncio

import pytest

from tests.presence_support import next_typing

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_burst_of_typing_is_one_frame_a_second(alice, bob, room, connect):
    listener = await connect(bob, hear_presence=True)
    typist = await connect(alice)

    for _ in range(10):
        await typist.send_json_to({"type": "typing"})
    assert (await next_typing(listener, within=2))["user"]["username"] == "alice"
    with pytest.raises(TimeoutError):
        await next_typing(listener, within=0.7)
    assert await typist.receive_nothing(timeout=0.2)  # dropped silently

    await asyncio.sleep(0.3)  # a second after the first one
    await typist.send_json_to({"type": "typing"})
    assert (await next_typing(listener, within=2))["user"]["username"] == "alice"


async def test_the_limit_is_per_socket(alice, bob, room, connect):
    listener = await connect(bob, hear_presence=True)
    phone, laptop = await connect(alice), await connect(alice)

    await phone.send_json_to({"type": "typing"})
    await laptop.send_json_to({"type": "typing"})
    for _ in range(2):
        assert (await next_typing(listener, within=2))["user"]["username"] == "alice"
