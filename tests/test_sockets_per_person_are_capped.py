"""CHAT_MAX_SOCKETS_PER_USER caps the sockets one person has open, over every server
process: the one past the cap is accepted and closed with 4429, closing one frees its place,
other people are not affected, and 0 means no cap. A process that is killed leaks its
sockets' places only until their expiry, at most a minute on, since every live process
renews its own."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
from asgiref.sync import async_to_sync

from chat import limits
from tests.conftest import session_cookie, socket_for
from tests.real_server import RawSocket

pytestmark = pytest.mark.django_db(transaction=True)


async def refused_with(user, slug: str = "general") -> int:
    socket = await socket_for(user, slug)
    connected, _ = await socket.connect(timeout=5)
    assert connected, "a refusal is accepted first, so that the page sees the code"
    closed = await socket.receive_output(timeout=5)
    assert closed["type"] == "websocket.close", closed
    await socket.wait()
    return closed["code"]


async def test_the_socket_past_the_cap_is_refused_with_4429(alice, bob, room, connect, settings):
    settings.CHAT_MAX_SOCKETS_PER_USER = 3
    opened = [await connect(alice) for _ in range(3)]

    assert await refused_with(alice) == 4429
    await connect(bob)  # counted apart

    await opened[0].disconnect()
    await connect(alice)  # its place is free again
    assert await refused_with(alice) == 4429


async def test_zero_means_no_cap(alice, room, connect, settings):
    settings.CHAT_MAX_SOCKETS_PER_USER = 0
    for _ in range(25):
        await connect(alice)


async def test_live_sockets_are_renewed_past_their_expiry(
    alice, room, connect, settings, monkeypatch
):
    settings.CHAT_MAX_SOCKETS_PER_USER = 2
    monkeypatch.setattr(limits, "SOCKET_TTL_SECONDS", 1)
    monkeypatch.setattr(limits, "HEARTBEAT_SECONDS", 0.2)
    await connect(alice)
    await connect(alice)

    await asyncio.sleep(1.6)

    assert await refused_with(alice) == 4429


def test_a_killed_process_leaks_its_places_for_at_most_a_minute(serve, alice, room, settings):
    settings.CHAT_MAX_SOCKETS_PER_USER = 2
    # The web process counts in this test run's Redis keys, as a second server would.
    server = serve(
        CHANNEL_LAYER_PREFIX=settings.CHANNEL_LAYER_PREFIX, CHAT_MAX_SOCKETS_PER_USER="2"
    )
    url = f"ws://127.0.0.1:{server.port}/ws/chat/general/"
    cookie = session_cookie(alice).decode()
    held = [RawSocket(url, cookie) for _ in range(2)]
    third = RawSocket(url, cookie)
    assert third.read_until_closed(timeout=5) == 4429  # from the real server

    assert server.process is not None
    server.process.kill()
    server.process.wait()
    for socket in [*held, third]:
        socket.close()

    # Nothing told Redis the sockets went: their places are still taken here...
    assert async_to_sync(refused_here)(alice) == 4429
    # ...until the expiry their process gave them, within the minute.
    key = f"{settings.CHANNEL_LAYER_PREFIX}:limits:sockets:{alice.pk}"
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        expiries = [score for _, score in client.zrange(key, 0, -1, withscores=True)]
        key_ttl_ms = client.pttl(key)
    now_ms = time.time() * 1000
    assert len(expiries) == 2
    assert all(0 < expiry - now_ms <= limits.SOCKET_TTL_SECONDS * 1000 for expiry in expiries)
    assert 0 < key_ttl_ms <= limits.SOCKET_TTL_SECONDS * 1000


async def refused_here(user) -> int:
    """`refused_with` in a loop of this synchronous test's own."""
    try:
        return await refused_with(user)
    finally:
        await limits.close_counters()
