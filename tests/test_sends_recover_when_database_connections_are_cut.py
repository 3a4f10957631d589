"""PostgreSQL cuts every connection of a running server (pg_terminate_backend on the test
database's backends) and refuses new ones for a while: sends through the real server get
`unavailable` meanwhile and nothing is saved; once the database takes connections again the
same socket's sends succeed, with no restart, and a retried client_id is saved once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from django.db import connection, connections

from chat.models import Message
from tests.conftest import session_cookie
from tests.outage import Outage
from tests.processes import ParleyServer, Processes
from tests.room_client import ResumeUnavailable, RoomSocket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_cut() -> Iterator[Outage]:
    cut = Outage()
    yield cut
    cut.end()  # before the database is flushed


def test_sends_are_unavailable_while_connections_are_cut_and_succeed_after(
    alice, room, tmp_path, database_cut
):
    with Processes(tmp_path) as processes:
        [server] = processes.parley()
        asyncio.run(chat_through_the_cut(server, session_cookie(alice), database_cut))
    # This process's connections were cut too, and its pool is still backing off.
    connections.close_all()
    connection.close_pool()
    rows = list(Message.objects.order_by("seq").values_list("seq", "client_id"))
    assert rows == [(1, "before"), (2, "retried"), (3, "after")]


async def chat_through_the_cut(server: ParleyServer, alice: bytes, database: Outage) -> None:
    socket = await RoomSocket.open(server.ws_url, "general", alice)
    assert (await socket.send_message("before", "before"))["seq"] == 1

    assert await asyncio.to_thread(database.cut) >= 1, "the server held no connection to cut"
    answer = await socket.send_message("retried", "retried")
    assert (answer["type"], answer["code"]) == ("error", "unavailable")

    await asyncio.to_thread(database.restore)
    ack = await socket.send_message("retried", "retried")
    assert (ack["type"], ack["seq"]) == ("ack", 2)
    assert (await socket.send_message("after", "after"))["seq"] == 3
    # Reads come back too (the request pool reconnects with backoff of its own); the room
    # page retries a resume that got `unavailable`, and so does this.
    started = time.monotonic()
    async with asyncio.timeout(15):
        while True:
            try:
                assert sorted(await socket.resume(0)) == [1, 2, 3]
                break
            except ResumeUnavailable:
                await asyncio.sleep(0.5)
    print(f"reads came back {time.monotonic() - started:.1f}s after the database")
    await socket.close()
