"""Behind nginx the server knows each person's own address (from X-Forwarded-For, trusted
because it comes from FORWARDED_ALLOW_IPS), while an address claimed by a client that talks
to the server directly is ignored."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.conftest import session_cookie
from tests.processes import ParleyServer, Processes
from tests.room_client import RoomSocket

pytestmark = pytest.mark.django_db(transaction=True)

PERSON = "127.0.0.5"  # the client's own address (all of 127/8 is this machine)
CLAIM = {"X-Forwarded-For": "203.0.113.9"}


def opened_from(server: ParleyServer, count: int) -> list[str]:
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
        clients = [line["client"] for line in lines if line["message"] == "socket opened"]
        if len(clients) >= count or time.monotonic() > deadline:
            return clients
        time.sleep(0.05)


def test_the_proxy_s_address_header_counts_and_a_client_s_claim_does_not(alice, room, tmp_path):
    with Processes(tmp_path) as processes:
        # nginx connects to the server from 127.0.0.1; nobody else is trusted.
        [server] = processes.parley(FORWARDED_ALLOW_IPS="127.0.0.1", LOG_FORMAT="json")
        proxy = processes.nginx([server])
        cookie = session_cookie(alice)

        async def connect_both() -> None:
            through = await RoomSocket.open(
                proxy.ws_url, "general", cookie, headers=CLAIM, local_addr=(PERSON, 0)
            )
            direct = await RoomSocket.open(
                server.ws_url, "general", cookie, headers=CLAIM, local_addr=(PERSON, 0)
            )
            await through.close()
            await direct.close()

        asyncio.run(connect_both())
        # Through the proxy: the person's address, not the proxy's (127.0.0.1), not the claim.
        # Straight to the server: the connection's own address, the claim ignored.
        assert opened_from(server, 2) == [PERSON, PERSON]
