"""The "my rooms" socket, /ws/rooms/ (docs/protocol.md, "The my-rooms socket").

It tells a page what changed in the person's rooms while they look elsewhere: `room.activity`
for each new message in any room they are a member of, `read` when another of their tabs
moved a read position, `rooms.changed` when they joined or left a room.

It costs nothing per message per watcher on the channel layer: the socket registers with
this process's hub (chat/broadcast.py) as a watcher of the groups of its person's rooms, and
the hub writes each message's `room.activity` frame, encoded once by the publisher, to the
local watchers of that room. `read` and `rooms.changed` are events about the person
(PEOPLE_GROUP), which the hub hands to every socket of theirs. On `rooms.changed` the socket
reads the person's memberships again and watches the difference.

Admission is the room socket's without the room (chat/consumers.py): same origin (the
middleware), signed in (4401), counted against CHAT_MAX_SOCKETS_PER_USER (4429), 1013 when
Redis, the channel layer or the database cannot be reached. Clients send nothing but what
every socket may (frames count against CHAT_FRAME_LIMIT): anything is answered `error`
`unknown_type`.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from typing import Any

from chat import frames, limits, membership, metrics
from chat.broadcast import get_hub, room_group_name
from chat.consumers import (
    CLOSE_TOO_MANY,
    CLOSE_TRY_AGAIN_LATER,
    JOIN_TIMEOUT_SECONDS,
    PersonSocket,
    on_database_thread,
)
from chat.models import RoomMembership

logger = logging.getLogger(__name__)


def room_groups_of(user_id: int) -> set[str]:
    """The groups of the rooms `user_id` is a member of."""
    rooms = RoomMembership.objects.filter(user_id=user_id).values_list("room_id", flat=True)
    return {room_group_name(room_id) for room_id in rooms}


read_room_groups = on_database_thread(room_groups_of)


class RoomsConsumer(PersonSocket):
    # The groups this socket watches, as last read from the person's memberships.
    watching: frozenset[str] = frozenset()
    rewatching: asyncio.Task[None] | None = None

    async def admission(self) -> int | None:
        return await self.admit_person() or await self.watch()

    async def watch(self) -> int | None:
        """Follow the person's events, then watch their rooms: a `rooms.changed` that comes
        between the two is heard, and reads the memberships again."""
        try:
            async with asyncio.timeout(JOIN_TIMEOUT_SECONDS):
                self.hub = await get_hub()
                self.hub.follow(self)
                await self.rewatch()
        except Exception as error:  # the database, Redis or the layer: all say 1013
            logger.warning("Watching rooms failed (%r); refusing with 1013", error)
            return CLOSE_TRY_AGAIN_LATER
        return None

    async def rewatch(self) -> None:
        """Watch the rooms the person is a member of now, and no others."""
        assert self.hub is not None
        groups = frozenset(await read_room_groups(self.user_id))
        added, dropped = groups - self.watching, self.watching - groups
        self.watching = groups
        await self.hub.unwatch(set(dropped), self)
        await self.hub.watch(set(added), self)

    async def disconnect(self, code: int) -> None:
        self.admitted = False
        if self.rewatching is not None:
            self.rewatching.cancel()
        if self.hub is not None:
            self.hub.unfollow(self)
            watched, self.watching = self.watching, frozenset()
            await self.hub.unwatch(set(watched), self)
        await limits.close_socket(self.user_id, self.socket_id)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.admitted:
            return
        wait = self.frame_budget.spend()
        if self.frame_budget.flooding:
            self.close_soon(CLOSE_TOO_MANY, "too many frames")
            return
        if wait:
            self.deliver(frames.encode(frames.rate_limited_frame(wait)))
            return
        code, detail = "unknown_type", "This socket takes no frames."
        try:
            frame = json.loads(text_data) if text_data is not None else None
        except (ValueError, RecursionError):
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            code, detail = "bad_frame", 'A frame must be a JSON object with a string "type".'
        metrics.error_sent(code, None)
        self.deliver(frames.encode(frames.error_frame(code, detail)))

    def handle_event(self, event: dict[str, Any]) -> None:
        match event["type"]:
            case membership.READ_EVENT:
                self.deliver(event["frame"])
            case membership.ROOMS_CHANGED_EVENT:
                self.deliver(event["frame"])
                self.rewatch_soon()
            case _:
                super().handle_event(event)

    def rewatch_soon(self) -> None:
        previous = self.rewatching

        async def again() -> None:
            if previous is not None:
                await asyncio.wait([previous])  # one at a time, in order
            try:
                await self.rewatch()
            except Exception:
                logger.exception("Watching the rooms again failed; closing with 1013")
                self.end(CLOSE_TRY_AGAIN_LATER)

        self.rewatching = asyncio.create_task(again(), context=contextvars.copy_context())
