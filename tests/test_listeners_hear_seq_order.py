"""Concurrent senders on one server process: every listener hears every message in seq
order (sends of one process are published in the order their batches numbered them)."""

import asyncio

import pytest

from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 4
MESSAGES_EACH = 40


async def test_a_listener_hears_concurrent_senders_in_seq_order(
    alice, bob, charlie, room, connect, settings
):
    settings.CHAT_RATE_LIMIT = settings.CHAT_FRAME_LIMIT = None  # a burst, on purpose
    listener = await connect(charlie)
    senders = [await connect(user) for user in (alice, bob, alice, bob)]

    async def send_all(number: int, socket) -> None:
        for n in range(MESSAGES_EACH):
            ack = await send_and_ack(socket, f"s{number} m{n}", f"s{number}-{n}")
            assert ack["type"] == "ack"

    await asyncio.gather(*(send_all(number, socket) for number, socket in enumerate(senders)))
    heard = []
    while len(heard) < SENDERS * MESSAGES_EACH:
        frame = await listener.receive_json_from(timeout=10)
        heard.append(frame["message"]["seq"])
    assert heard == sorted(heard)
