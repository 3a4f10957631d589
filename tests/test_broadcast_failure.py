"""A Redis hiccup after the commit never turns a saved message into an error: the sender
still gets its ack, and a listener that missed the broadcast recovers it by seq."""

import asyncio
import copy
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis

from chat import limits, presence
from tests.conftest import send_and_ack
from tests.processes import RedisServer

pytestmark = pytest.mark.django_db(transaction=True)

PAUSE_MS = 3500


@pytest.fixture
async def own_redis(settings, tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A Redis server of this test's own for everything the app does in Redis here (the
    channel layer, the counters, presence). CLIENT PAUSE stalls every client of a server: on
    the shared one it would stall every test running meanwhile, in other xdist workers and
    other runs. Sockets opened through `connect` must be closed before it stops: request it
    before `connect`."""
    server = RedisServer(tmp_path / "redis").start()
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"]["CONFIG"]["hosts"] = [{"address": server.url, "socket_timeout": None}]
    settings.REDIS_URL = server.url
    settings.REDIS_URLS = [server.url]
    settings.CHANNEL_LAYERS = layers  # channels drops its cached layer on the change
    yield server
    await limits.close_counters()
    await presence.close_presence()
    server.stop()


async def test_sender_is_acked_while_redis_is_paused_and_listener_recovers_by_seq(
    alice, bob, room, own_redis, connect, caplog
):
    sender = await connect(alice)
    listener = await connect(bob)
    control = redis.Redis.from_url(own_redis.url)

    # CLIENT PAUSE stalls every other client's commands, PUBLISH included: a real hiccup.
    control.execute_command("CLIENT", "PAUSE", PAUSE_MS, "ALL")
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="chat.services"):
        first = await send_and_ack(sender, "during the hiccup", "h1")
        acked_after = time.monotonic() - started
        assert first["type"] == "ack"
        assert acked_after < PAUSE_MS / 1000, "the ack waited for Redis"
        await asyncio.sleep(PAUSE_MS / 1000 - acked_after + 0.5)
    assert "Broadcast to room" in caplog.text

    second = await send_and_ack(sender, "after the hiccup", "h2")
    assert second["seq"] == first["seq"] + 1

    # The listener keeps what arrived live and fills any gap with resume, as clients do.
    seen: dict[int, str] = {}
    while second["seq"] not in seen:
        frame = await listener.receive_json_from(timeout=5)
        seen[frame["message"]["seq"]] = frame["message"]["body"]
    if first["seq"] not in seen:
        await listener.send_json_to({"type": "resume", "after_seq": 0})
        while (frame := await listener.receive_json_from(timeout=5))["type"] != "resumed":
            if frame["type"] == "history":
                for message in frame["messages"]:
                    seen.setdefault(message["seq"], message["body"])
    assert seen == {1: "during the hiccup", 2: "after the hiccup"}
    control.close()
