"""The load clients: real WebSockets from this process, one Peer per socket.

Every socket is a `websockets` client that sends an `Origin` header (and, to Parley, the
session cookie of a signed-in user), as a browser does: it offers permessage-deflate and
sends no pings of its own; the server decides about compression. Each Peer reads its socket
in a task of its own and stamps every frame on arrival with the monotonic clock the senders
stamp their sends with (load generator and servers share the machine).

Each server speaks its own dialect, so there is one Peer class per server. What they record
is the same: when each message (by client_id) was sent, acked and delivered. "Acked" means
the server said the message is stored: Parley's `ack` frame (sent after the commit), the
handwritten server's `ack` (after its INSERT), and for the tutorial, which has no ack, the
sender's own message coming back from the group (its save precedes the group_send).
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

# Sockets opened at once: Parley on daphne answers each handshake after a few queries on its
# one database thread, so a larger burst only queues there.
CONNECT_CONCURRENCY = 50


class Peer:
    """One socket and what arrived on it. Subclasses speak one server's dialect."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: dict[str, float] = {}  # client_id -> when the message arrived
        self.duplicates = 0  # messages that arrived a second time
        self.sent: dict[str, float] = {}  # client_id -> when it was sent (senders only)
        self.acks: dict[str, tuple[int | None, float]] = {}  # client_id -> (seq or id, when)
        self.errors: list[dict[str, Any]] = []
        self.unacked: asyncio.Semaphore | None = None  # the sends a sender may still make
        self.reader = asyncio.create_task(self.read())

    def encode(self, client_id: str) -> str:
        """The frame that sends a message identified by `client_id`."""
        raise NotImplementedError

    def on_frame(self, frame: dict[str, Any], now: float) -> None:
        raise NotImplementedError

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                self.on_frame(json.loads(raw), time.monotonic())
        except ConnectionClosed:
            pass

    def delivered(self, client_id: str, now: float) -> None:
        if client_id in self.received:
            self.duplicates += 1
        else:
            self.received[client_id] = now

    def acked(self, client_id: str, value: int | None, now: float) -> None:
        if client_id in self.acks:
            return
        self.acks[client_id] = (value, now)
        if self.unacked is not None:
            self.unacked.release()

    async def send(self, client_id: str) -> None:
        self.sent[client_id] = time.monotonic()
        await self.ws.send(self.encode(client_id))

    def reset(self) -> None:
        self.received.clear()
        self.sent.clear()
        self.acks.clear()
        self.errors.clear()
        self.duplicates = 0

    @property
    def extensions(self) -> str:
        """The extensions the server accepted in the handshake ("" for none)."""
        response = self.ws.response
        return response.headers.get("Sec-WebSocket-Extensions", "") if response else ""

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code if self.reader.done() else None

    async def close(self) -> None:
        await self.ws.close()
        await self.reader


class ParleyPeer(Peer):
    """docs/protocol.md: `message.send` with a client_id; `ack` and `message` with a seq.

    Like the room page, a sender says `typing` at most once every `typing_every` seconds
    while it keeps sending (--typing-every; 0 sends none), and every socket hears the others'
    `typing` and `presence` frames, which it counts and otherwise ignores."""

    typing_every = 3.0
    TYPING = json.dumps({"type": "typing"})

    def __init__(self, ws: ClientConnection) -> None:
        self.seqs: set[int] = set()
        self.last_seq = 0
        self.out_of_order = 0  # deliveries with a lower seq than one already delivered
        self.typing_sent_at = self.last_send_at = -math.inf
        self.typing_sent = 0
        self.typing_heard = 0
        self.presence_heard = 0
        super().__init__(ws)

    async def send(self, client_id: str) -> None:
        await super().send(client_id)
        # While sending, as a person types their next message. A lone message (the idle
        # scenario's) goes without: its `typing` would have come seconds before it, and
        # measuring both fan-outs back to back would not be what a message costs.
        now, previous = time.monotonic(), self.last_send_at
        self.last_send_at = now
        typing = self.typing_every and now - previous < self.typing_every
        if typing and now - self.typing_sent_at >= self.typing_every:
            self.typing_sent_at = now
            self.typing_sent += 1
            await self.ws.send(self.TYPING)

    def encode(self, client_id: str) -> str:
        frame = {"type": "message.send", "body": f"bench {client_id}", "client_id": client_id}
        return json.dumps(frame)

    def on_frame(self, frame: dict[str, Any], now: float) -> None:
        kind = frame.get("type")
        if kind == "message":
            message = frame["message"]
            seq = message["seq"]
            if seq in self.seqs:
                self.duplicates += 1
                return
            self.seqs.add(seq)
            self.out_of_order += seq < self.last_seq
            self.last_seq = max(self.last_seq, seq)
            self.received[message["client_id"]] = now
        elif kind == "ack":
            self.acked(frame["client_id"], frame["seq"], now)
        elif kind == "typing":
            self.typing_heard += 1
        elif kind in ("presence", "presence.join", "presence.leave"):
            self.presence_heard += 1
        elif kind == "error":
            self.errors.append(frame)
            if self.unacked is not None and frame.get("client_id"):
                self.unacked.release()

    def reset(self) -> None:
        super().reset()
        self.seqs.clear()
        self.out_of_order = 0


class TutorialPeer(Peer):
    """The tutorial's `{"message": text}` both ways; the text is the client_id. Its own
    message coming back is a sender's ack."""

    def encode(self, client_id: str) -> str:
        return json.dumps({"message": client_id})

    def on_frame(self, frame: dict[str, Any], now: float) -> None:
        client_id = frame["message"]
        self.delivered(client_id, now)
        if client_id in self.sent:
            self.acked(client_id, None, now)


class HandwrittenPeer(Peer):
    """bench/load/handwritten.py: `{body, client_id}` in; `ack` and `message` with an id."""

    def encode(self, client_id: str) -> str:
        return json.dumps({"body": f"bench {client_id}", "client_id": client_id})

    def on_frame(self, frame: dict[str, Any], now: float) -> None:
        if frame.get("type") == "ack":
            self.acked(frame["client_id"], frame["id"], now)
        elif frame.get("type") == "message":
            self.delivered(frame["client_id"], now)


class Target(Protocol):
    """What the clients need to know of a server (bench/load/servers.py has them)."""

    name: str
    peer_class: type[Peer]

    @property
    def url(self) -> str: ...

    @property
    def origin(self) -> str: ...

    def headers(self, socket: int) -> Mapping[str, str]:
        """Extra handshake headers of the socket-th socket (Parley: its session cookie)."""
        ...


async def open_peers(target: Target, sockets: Iterable[int]) -> list[Peer]:
    """Open the given sockets, CONNECT_CONCURRENCY at a time, and check that the server let
    each one in (a refusal is an accept followed at once by a close)."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(socket: int) -> Peer:
        async with gate:
            ws = await connect(
                target.url,
                origin=Origin(target.origin),
                additional_headers=dict(target.headers(socket)),
                open_timeout=120,
                ping_interval=None,
            )
            return target.peer_class(ws)

    peers = await asyncio.gather(*(one(socket) for socket in sockets))
    await asyncio.sleep(0.2)
    refused = [peer.close_code for peer in peers if peer.close_code is not None]
    if refused:
        await close_peers(peers)
        raise RuntimeError(f"{len(refused)} sockets were refused, close codes {set(refused)}")
    return list(peers)


async def close_peers(peers: Sequence[Peer]) -> None:
    """Close the sockets, CONNECT_CONCURRENCY at a time as they were opened, first saying
    if the server had closed any of them."""
    dropped = [peer.close_code for peer in peers if peer.reader.done()]
    if dropped:
        print(f"  ! the server closed {len(dropped)} sockets: {set(dropped)}", file=sys.stderr)
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(peer: Peer) -> None:
        async with gate:
            await peer.close()

    await asyncio.gather(*(one(peer) for peer in peers), return_exceptions=True)


async def wait_until(done: Callable[[], bool], within: float, interval: float = 0.05) -> bool:
    """Poll `done` until it holds (True) or `within` seconds have passed (False)."""
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)
    return True
