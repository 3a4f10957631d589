"""Through nginx (docs/nginx.conf.template) in front of two Parley processes, people chat,
read history over the HTTP API and resume, and a person whose socket landed on one process
hears a sender on the other."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.conftest import session_cookie
from tests.processes import Nginx, ParleyServer, Processes
from tests.room_client import RoomSocket, get_json

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for_line(server: ParleyServer, text: str, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while text not in server.output():
        assert time.monotonic() < deadline, f"no {text!r} in {server.log}"
        time.sleep(0.05)


def test_chat_history_and_resume_through_the_proxy_across_two_servers(alice, bob, room, tmp_path):
    with Processes(tmp_path) as processes:
        servers = processes.parley(count=2)
        proxy = processes.nginx(servers)
        asyncio.run(chat_through(proxy, servers, session_cookie(alice), session_cookie(bob)))


async def chat_through(proxy: Nginx, servers: list[ParleyServer], alice: bytes, bob: bytes) -> None:
    listener = await RoomSocket.open(proxy.ws_url, "general", alice)
    sender = await RoomSocket.open(proxy.ws_url, "general", bob)
    # least_conn sent the second socket to the process without one.
    for server in servers:
        await asyncio.to_thread(wait_for_line, server, "socket opened")

    acks = []
    for n in range(3):
        acks.append(await sender.send_message(f"across {n}", f"b{n}"))
        acks.append(await listener.send_message(f"back {n}", f"a{n}"))
    assert [ack["seq"] for ack in acks] == [1, 2, 3, 4, 5, 6]
    for ack in acks:
        assert (await listener.heard(ack["seq"]))["client_id"] == ack["client_id"]
        assert (await sender.heard(ack["seq"]))["client_id"] == ack["client_id"]

    status, page = await asyncio.to_thread(
        get_json, f"{proxy.url}/api/rooms/general/messages/?limit=4", alice
    )
    assert status == 200
    assert [m["seq"] for m in page["messages"]] == [3, 4, 5, 6]
    assert page["has_more"] is True

    late = await RoomSocket.open(proxy.ws_url, "general", alice)
    caught_up = await late.resume(after_seq=2)
    assert sorted(caught_up) == [3, 4, 5, 6]
    assert (caught_up[3]["body"], caught_up[4]["body"]) == ("across 1", "back 1")
    for socket in (listener, sender, late):
        await socket.close()
