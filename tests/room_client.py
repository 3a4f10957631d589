"""Room sockets over real WebSockets (the `websockets` library), for tests against server
processes: the protocol of docs/protocol.md, and a `Participant` that sends the way the
room page does, so failover tests can check what a person would end up with.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

FRAME_SECONDS = 10.0
EPHEMERAL_FRAMES = frozenset({"presence", "presence.join", "presence.leave", "typing"})


class ResumeUnavailable(Exception):
    """The server answered a resume with an error (the database was unavailable)."""


class RoomSocket:
    """One WebSocket to /ws/chat/<slug>/. Live `message` frames that arrive while waiting for
    something else are kept in `live`, by seq."""

    # Presence and typing frames (chat/presence.py) are passed over unless this is False.
    quiet = True

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.live: dict[int, dict[str, Any]] = {}

    @classmethod
    async def open(
        cls,
        base_url: str,
        slug: str,
        cookie: bytes,
        headers: dict[str, str] | None = None,
        local_addr: tuple[str, int] | None = None,
    ) -> RoomSocket:
        # The page's own origin, as a browser on the site sends it.
        origin = base_url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
        extra = {"Origin": origin, "Cookie": cookie.decode(), **(headers or {})}
        options: dict[str, Any] = {"local_addr": local_addr} if local_addr else {}
        connection = await connect(
            f"{base_url}/ws/chat/{slug}/",
            additional_headers=extra,
            proxy=None,
            open_timeout=FRAME_SECONDS,
            **options,
        )
        return cls(connection)

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    async def close(self) -> None:
        await self.connection.close()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(frame))

    async def frame(self, within: float = FRAME_SECONDS) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.connection.recv(), within))
        while self.quiet and frame["type"] in EPHEMERAL_FRAMES:
            frame = json.loads(await asyncio.wait_for(self.connection.recv(), within))
        if frame["type"] == "message":
            self.live[frame["message"]["seq"]] = frame["message"]
        return frame

    async def next_of(self, kind: str, within: float = FRAME_SECONDS) -> dict[str, Any]:
        """The next frame of type `kind`; live messages that come first are kept in `live`."""
        while (frame := await self.frame(within))["type"] != kind:
            pass
        return frame

    async def send_message(self, body: str, client_id: str) -> dict[str, Any]:
        """Send, and return the ack or error about it."""
        await self.send({"type": "message.send", "body": body, "client_id": client_id})
        while True:
            frame = await self.frame()
            if frame["type"] in {"ack", "error"} and frame.get("client_id") == client_id:
                return frame

    async def resume(self, after_seq: int = 0) -> dict[int, dict[str, Any]]:
        """Everything after `after_seq`, as `resume` sends it, by seq."""
        await self.send({"type": "resume", "after_seq": after_seq})
        messages: dict[int, dict[str, Any]] = {}
        while True:
            frame = await self.frame()
            if frame["type"] == "history":
                messages.update((m["seq"], m) for m in frame["messages"])
            elif frame["type"] == "resumed":
                return messages
            elif frame["type"] == "error":
                raise ResumeUnavailable(frame["detail"])

    async def heard(self, seq: int, within: float = FRAME_SECONDS) -> dict[str, Any]:
        """The live message with this seq, waiting for it if it has not come yet."""
        async with asyncio.timeout(within):
            while seq not in self.live:
                await self.frame(within)
        return self.live[seq]


class Participant:
    """Sends like the room page: each message with a client_id of its own, kept until acked.
    After a drop it reconnects (at once after 1012, after a short pause otherwise), resumes
    from the last seq it has, and sends again whatever was not acked."""

    RETRY_SECONDS = 0.2

    def __init__(self, base_url: str, slug: str, cookie: bytes, name: str) -> None:
        self.base_url = base_url
        self.slug = slug
        self.cookie = cookie
        self.name = name
        self.acked: dict[str, int] = {}  # client_id -> seq
        self.closes: list[int | None] = []
        self.unavailable = 0  # `unavailable` answers, each retried later
        self.seen: dict[int, dict[str, Any]] = {}  # every message it has, by seq

    async def send_burst(self, count: int, pause: float = 0.0, within: float = 60.0) -> None:
        """Send `count` messages, each acked in the end, reconnecting as often as needed."""
        client_ids = [f"{self.name}-{n}" for n in range(count)]
        async with asyncio.timeout(within):
            while len(self.acked) < count:
                try:
                    socket = await RoomSocket.open(self.base_url, self.slug, self.cookie)
                except (OSError, InvalidHandshake, TimeoutError):
                    await asyncio.sleep(self.RETRY_SECONDS)
                    continue
                try:
                    await self._catch_up(socket)
                    for client_id in client_ids:
                        if client_id in self.acked:
                            continue
                        answer = await socket.send_message(f"{client_id} says hi", client_id)
                        self.seen.update(socket.live)
                        if answer["type"] == "ack":
                            self.acked[client_id] = answer["seq"]
                        elif answer["code"] == "unavailable":
                            self.unavailable += 1
                            await asyncio.sleep(self.RETRY_SECONDS)
                        else:
                            raise AssertionError(f"{self.name}: {answer}")
                        if pause:
                            await asyncio.sleep(pause)
                    await socket.close()
                except (ConnectionClosed, TimeoutError):
                    self.closes.append(socket.close_code)
                    if socket.close_code != 1012:
                        await asyncio.sleep(self.RETRY_SECONDS)

    async def _catch_up(self, socket: RoomSocket) -> None:
        up_to = 0
        while up_to + 1 in self.seen:
            up_to += 1
        self.seen.update(await socket.resume(up_to))


async def eventually(condition: Callable[[], bool], within: float = FRAME_SECONDS) -> None:
    """Return once `condition()` holds, checking every 10 ms; TimeoutError after `within`."""
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"not true within {within}s")


def get_json(url: str, cookie: bytes | None = None, **headers: str) -> tuple[int, Any]:
    """GET `url`; the status and the decoded JSON body, error statuses included."""
    request = urllib.request.Request(url, headers=headers)
    if cookie is not None:
        request.add_header("Cookie", cookie.decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
