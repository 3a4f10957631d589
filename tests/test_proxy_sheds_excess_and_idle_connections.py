"""nginx (docs/nginx.conf.template) protects the servers: one client address gets at most
PARLEY_CONNECTIONS_PER_IP connections (429 past that), and a socket with no byte in either
direction for PARLEY_IDLE_TIMEOUT is closed, while a socket in use stays open."""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import session_cookie
from tests.processes import Processes
from tests.room_client import RoomSocket

pytestmark = pytest.mark.django_db(transaction=True)


def test_connections_past_the_per_address_limit_get_429(alice, room, tmp_path):
    with Processes(tmp_path) as processes:
        [server] = processes.parley()
        proxy = processes.nginx([server], connections_per_ip=3)
        asyncio.run(past_the_limit(proxy.ws_url, session_cookie(alice)))


async def past_the_limit(url: str, cookie: bytes) -> None:
    sockets = [await RoomSocket.open(url, "general", cookie) for _ in range(3)]
    with pytest.raises(InvalidStatus) as refused:
        await RoomSocket.open(url, "general", cookie)
    assert refused.value.response.status_code == 429
    await sockets.pop().close()
    sockets.append(await RoomSocket.open(url, "general", cookie))  # room again
    for socket in sockets:
        await socket.close()


def test_a_silent_socket_is_closed_and_a_busy_one_is_not(alice, room, tmp_path):
    with Processes(tmp_path) as processes:
        [server] = processes.parley()
        proxy = processes.nginx([server], idle_timeout="1s")
        asyncio.run(silent_and_busy(proxy.ws_url, session_cookie(alice)))


async def silent_and_busy(url: str, cookie: bytes) -> None:
    silent = await RoomSocket.open(url, "general", cookie)
    busy = await RoomSocket.open(url, "general", cookie)
    for _ in range(5):  # 2.5 s of use, in steps shorter than the idle timeout
        await asyncio.sleep(0.5)
        await busy.send({"type": "history", "limit": 1})
        assert (await busy.frame())["type"] == "history"
    with pytest.raises(ConnectionClosed):
        await silent.frame(within=1)
    await busy.close()
