"""Senders that do not wait for acks (several sends in flight each) on the real server: every
send is acked once, in the order it was sent, and every listener hears every message once, in
seq order. A socket's sends are saved while its next frames are read, so this is the case
where answers and broadcasts could overtake each other."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.conftest import session_cookie
from tests.room_client import RoomSocket

pytestmark = pytest.mark.django_db(transaction=True)

SENDS_EACH = 60


def test_pipelined_sends_are_acked_and_heard_in_order(alice, bob, charlie, room, serve):
    server = serve(CHAT_RATE_LIMIT="0", CHAT_FRAME_LIMIT="0")
    cookies = {user.username: session_cookie(user) for user in (alice, bob, charlie)}
    acks, heard = asyncio.run(pipelined_burst(ws_url(server), cookies))

    for sender, client_ids in acks.items():
        assert client_ids == [f"{sender}-{n}" for n in range(SENDS_EACH)], "acks out of order"
    total = 2 * SENDS_EACH
    for listener, seqs in heard.items():
        assert seqs == list(range(1, total + 1)), f"{listener} heard {seqs}"


def ws_url(server) -> str:
    return server.url.replace("http://", "ws://", 1)


async def pipelined_burst(ws_url: str, cookies: dict[str, bytes]):
    listeners = {
        name: await RoomSocket.open(ws_url, "general", cookies[user])
        for name, user in (("charlie", "charlie"), ("alice-listening", "alice"))
    }
    senders = {
        name: await RoomSocket.open(ws_url, "general", cookies[name]) for name in ("alice", "bob")
    }

    async def send_all(name: str, socket: RoomSocket) -> list[str]:
        frames = [
            json.dumps({"type": "message.send", "body": f"{name} {n}", "client_id": f"{name}-{n}"})
            for n in range(SENDS_EACH)
        ]
        for frame in frames:  # without waiting for any ack
            await socket.connection.send(frame)
        acked: list[str] = []
        while len(acked) < SENDS_EACH:
            frame = await socket.frame(within=30)
            assert frame["type"] != "error", frame
            if frame["type"] == "ack":
                acked.append(frame["client_id"])
        return acked

    async def listen(socket: RoomSocket) -> list[int]:
        seqs: list[int] = []
        while len(seqs) < 2 * SENDS_EACH:
            frame = await socket.frame(within=30)
            if frame["type"] == "message":
                seqs.append(frame["message"]["seq"])
        return seqs

    listening = {name: asyncio.create_task(listen(s)) for name, s in listeners.items()}
    sent = await asyncio.gather(*(send_all(name, s) for name, s in senders.items()))
    heard = {name: await task for name, task in listening.items()}
    for socket in [*listeners.values(), *senders.values()]:
        await socket.close()
    return dict(zip(senders, sent, strict=True)), heard
