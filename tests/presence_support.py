"""Sockets that hear presence and typing (chat/presence.py), for the presence tests: over
real WebSockets to server processes (`hearing`) or through the ASGI app in the test process
(`tests.conftest.socket_for(..., hear_presence=True)`)."""

from __future__ import annotations

import asyncio
from typing import Any

from accounts.models import User
from tests.conftest import session_cookie
from tests.processes import ParleyServer
from tests.room_client import EPHEMERAL_FRAMES, RoomSocket


def user(person: User) -> dict[str, Any]:
    return {"id": person.pk, "username": person.username}


async def hearing(server: ParleyServer, cookie: bytes, slug: str = "general") -> RoomSocket:
    """A room socket on `server` that passes presence and typing frames on."""
    socket = await RoomSocket.open(server.ws_url, slug, cookie)
    socket.quiet = False
    return socket


def cookies(*people: User) -> list[bytes]:
    """Session cookies, made before the event loop starts (they read the database)."""
    return [session_cookie(person) for person in people]


async def next_ephemeral(socket: Any, within: float = 10.0) -> dict[str, Any]:
    """The next presence or typing frame, passing over anything else (a RoomSocket, or a
    communicator that hears presence)."""
    async with asyncio.timeout(within):
        while True:
            if isinstance(socket, RoomSocket):
                frame = await socket.frame(within)
            else:
                frame = await socket.receive_json_from(timeout=within)
            if frame["type"] in EPHEMERAL_FRAMES:
                return frame


async def next_typing(socket: Any, within: float = 10.0) -> dict[str, Any]:
    """The next typing frame, passing over presence and anything else."""
    async with asyncio.timeout(within):
        while (frame := await next_ephemeral(socket, within))["type"] != "typing":
            pass
        return frame
