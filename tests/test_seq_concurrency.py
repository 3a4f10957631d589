"""Concurrent senders on two server processes get gapless, unique, commit-ordered seqs,
and a listener on a third process hears every message exactly once."""

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from chat.models import Message
from tests.conftest import session_cookie
from tests.sender_process import send_concurrently

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSES = 2
SOCKETS_PER_PROCESS = 4
MESSAGES_PER_SOCKET = 15
TOTAL = PROCESSES * SOCKETS_PER_PROCESS * MESSAGES_PER_SOCKET


async def test_two_processes_of_concurrent_senders_get_contiguous_unique_seqs(
    alice, bob, charlie, room, connect
):
    cookies = [
        await database_sync_to_async(session_cookie)(user) for user in (alice, bob, charlie, alice)
    ]
    listener = await connect(charlie)
    database_name = connection.settings_dict["NAME"]

    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        runs = [
            loop.run_in_executor(
                pool,
                send_concurrently,
                database_name,
                cookies,
                "general",
                MESSAGES_PER_SOCKET,
                f"p{index}",
            )
            for index in range(PROCESSES)
        ]
        heard: list[int] = []
        while len(heard) < TOTAL:
            frame = await listener.receive_json_from(timeout=60)
            heard.append(frame["message"]["seq"])
        acks = [ack for run in await asyncio.gather(*runs) for ack in run]

    ack_seqs = sorted(ack["seq"] for ack in acks)
    assert ack_seqs == list(range(1, TOTAL + 1))
    assert sorted(heard) == list(range(1, TOTAL + 1))
    stored = await database_sync_to_async(
        lambda: list(Message.objects.order_by("seq").values_list("seq", "client_id"))
    )()
    assert [seq for seq, _ in stored] == list(range(1, TOTAL + 1))
    by_client_id = {ack["client_id"]: ack["seq"] for ack in acks}
    assert dict((client_id, seq) for seq, client_id in stored) == by_client_id
    # Commit order is seq order: each socket's own messages got increasing seqs.
    for process in range(PROCESSES):
        for socket in range(SOCKETS_PER_PROCESS):
            mine = [by_client_id[f"p{process}-{socket}-{n}"] for n in range(MESSAGES_PER_SOCKET)]
            assert mine == sorted(mine)
