"""CHAT_RATE_LIMIT counts one person's messages over all their sockets and server processes:
at 20/10, the 21st message within 10 s gets `rate_limited` with `retry_after`, and is neither
saved nor broadcast, whichever socket or process it comes from; other people are not
affected; with 0 nothing is limited."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from websockets.asyncio.client import connect as ws_connect

from chat.models import Message
from tests.conftest import send_and_ack, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def stored_bodies() -> list[str]:
    return await database_sync_to_async(
        lambda: list(Message.objects.order_by("seq").values_list("body", flat=True))
    )()


async def test_the_21st_message_in_10_seconds_from_two_sockets_is_refused_and_not_stored(
    alice, bob, charlie, room, connect
):
    assert settings.CHAT_RATE_LIMIT == (20, 10)  # the default
    phone, laptop = await connect(alice), await connect(alice)
    listener = await connect(charlie)

    for n in range(20):
        socket = phone if n % 2 else laptop
        assert (await send_and_ack(socket, f"m{n}", f"c{n}"))["type"] == "ack"
    refused = await send_and_ack(phone, "one too many", "c20")

    assert refused["code"] == "rate_limited"
    assert refused["client_id"] == "c20"
    assert 1 <= refused["retry_after"] <= 10
    assert await stored_bodies() == [f"m{n}" for n in range(20)]
    heard = [(await listener.receive_json_from(timeout=5))["message"]["body"] for _ in range(20)]
    assert heard == [f"m{n}" for n in range(20)]
    assert await listener.receive_nothing(timeout=0.5)
    # Someone else is counted apart.
    assert (await send_and_ack(await connect(bob), "bob here", "b1"))["type"] == "ack"


async def test_the_limit_is_shared_with_the_persons_sockets_on_another_server_process(
    alice, room, connect, serve
):
    # The web process counts in this test run's Redis keys, as a second server would.
    server = serve(CHANNEL_LAYER_PREFIX=settings.CHANNEL_LAYER_PREFIX)
    here = await connect(alice)
    cookie = (await database_sync_to_async(session_cookie)(alice)).decode()
    async with ws_connect(
        f"ws://127.0.0.1:{server.port}/ws/chat/general/",
        origin=server.url,
        additional_headers={"Cookie": cookie},
    ) as there:
        for n in range(10):
            assert (await send_and_ack(here, f"here {n}", f"h{n}"))["type"] == "ack"
            await there.send(
                json.dumps({"type": "message.send", "body": f"there {n}", "client_id": f"t{n}"})
            )
            while (answer := json.loads(await there.recv()))["type"] != "ack":
                pass
        await there.send(
            json.dumps({"type": "message.send", "body": "too many", "client_id": "t10"})
        )
        while (answer := json.loads(await there.recv()))["type"] == "message":
            pass

    assert answer["code"] == "rate_limited"
    assert len(await stored_bodies()) == 20


async def test_zero_turns_the_rate_limit_off(alice, room, connect, settings):
    settings.CHAT_RATE_LIMIT = None  # CHAT_RATE_LIMIT=0
    socket = await connect(alice)

    for n in range(25):
        assert (await send_and_ack(socket, f"m{n}", f"c{n}"))["type"] == "ack"
    assert len(await stored_bodies()) == 25
