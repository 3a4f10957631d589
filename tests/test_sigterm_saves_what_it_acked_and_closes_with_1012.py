"""SIGTERM in the middle of a burst of sends: the server stops, every socket is closed with
1012 (service restart: reconnect at once), every message acked before the close is in the
database with the seq of its ack, and senders that resend what was not acked, with the same
client_ids, to another server end with each message exactly once."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import pytest
from websockets.exceptions import ConnectionClosed

from chat.models import Message
from tests.conftest import session_cookie
from tests.processes import ParleyServer, Processes
from tests.room_client import Participant, RoomSocket, eventually

pytestmark = pytest.mark.django_db(transaction=True)

SOCKETS = 4
# Enough that a burst outlasts the SIGTERM: a socket's sends save while it reads the next.
PER_SOCKET = 500
# From the SIGTERM on, the client's process is busy, as on a loaded machine: each frame it
# reads costs it two milliseconds, so it falls behind in reading while its sends still go out.
# A server that closed the TCP connection right after its close frame lost that frame then
# (the kernel resets a connection closed with unread data), and the client saw 1006.
LAG_SECONDS = 0.002


class Burst:
    """One socket sending PER_SOCKET messages as fast as it can, without waiting for acks."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.acked: dict[str, int] = {}
        self.close_code: int | None = None
        self.lag = 0.0

    async def run(self, socket: RoomSocket) -> None:
        async def send_all() -> None:
            for n in range(PER_SOCKET):
                client_id = f"{self.name}-{n}"
                frame = {"type": "message.send", "body": client_id, "client_id": client_id}
                await socket.connection.send(json.dumps(frame))

        sending = asyncio.create_task(send_all())
        try:
            while True:
                frame = json.loads(await socket.connection.recv())
                if self.lag:
                    time.sleep(self.lag)  # noqa: ASYNC251 (the whole client is busy, on purpose)
                if frame["type"] == "ack":
                    self.acked[frame["client_id"]] = frame["seq"]
        except ConnectionClosed:
            self.close_code = socket.close_code
        sending.cancel()


def test_sigterm_mid_burst_keeps_every_ack_and_closes_with_1012(alice, bob, room, tmp_path):
    cookies = [session_cookie(alice), session_cookie(bob)]
    with Processes(tmp_path) as processes:
        stopping, staying = processes.parley(count=2, WEB_SHUTDOWN_SECONDS="10")
        bursts = asyncio.run(burst_then_sigterm(stopping, cookies))
        # uvicorn shuts down, then re-raises the SIGTERM, so that is the exit status.
        assert stopping.wait_exited(timeout=15) == -signal.SIGTERM
        assert "Finished server process" in stopping.output()
        assert "Traceback" not in stopping.output()

        assert [b.close_code for b in bursts] == [1012] * SOCKETS
        saved = dict(Message.objects.values_list("client_id", "seq"))
        acked = {cid: seq for burst in bursts for cid, seq in burst.acked.items()}
        assert 0 < len(acked) < SOCKETS * PER_SOCKET, "SIGTERM came too early or too late"
        assert {cid: saved.get(cid) for cid in acked} == acked
        assert sorted(saved.values()) == list(range(1, len(saved) + 1))

        # Everyone reconnects elsewhere and sends again what was not acked.
        asyncio.run(resend_elsewhere(staying, cookies, bursts))
    rows = list(Message.objects.order_by("seq").values_list("seq", "client_id"))
    assert [seq for seq, _ in rows] == list(range(1, SOCKETS * PER_SOCKET + 1))
    assert len({client_id for _, client_id in rows}) == SOCKETS * PER_SOCKET


async def burst_then_sigterm(server: ParleyServer, cookies: list[bytes]) -> list[Burst]:
    bursts = [Burst(f"s{n}") for n in range(SOCKETS)]
    sockets = [
        await RoomSocket.open(server.ws_url, "general", cookies[n % 2]) for n in range(SOCKETS)
    ]
    running = [asyncio.create_task(b.run(s)) for b, s in zip(bursts, sockets, strict=True)]
    await eventually(lambda: sum(len(b.acked) for b in bursts) >= SOCKETS * PER_SOCKET // 10)
    server.terminate()
    for burst in bursts:
        burst.lag = LAG_SECONDS
    async with asyncio.timeout(20):
        await asyncio.gather(*running)
    return bursts


async def resend_elsewhere(server: ParleyServer, cookies: list[bytes], bursts: list[Burst]):
    participants = []
    for n, burst in enumerate(bursts):
        participant = Participant(server.ws_url, "general", cookies[n % 2], burst.name)
        participant.acked = dict(burst.acked)
        participants.append(participant)
    await asyncio.gather(*(p.send_burst(PER_SOCKET, within=60) for p in participants))
