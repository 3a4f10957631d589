"""Delivery: how a frame reaches every socket of a room, on every server process.

A frame is encoded once, by whoever decides it goes out (the consumer after an ack, a
moderation service after its commit), and published to the room's group on the channel
layer. Each server process holds one `Hub`: a single channel-layer channel subscribed to the
groups of the rooms that have sockets in this process, which writes each frame it hears,
as received, straight to those sockets. So a message costs one publish, one decode per
process, and one write per socket: no channel, queue, decode or handler per socket.

Sockets register with the hub under their room's group (`room.<pk>`) and, whatever the
room, under their user (`Hub.users`), so events about a person (a ban, a mute, a signed-out
session) reach every socket of theirs in this process. Events about a person go to one group
that every hub listens to (`PEOPLE_GROUP`): they are rare, and this keeps a handshake to
one subscription.

Room events: frames (`chat.frame`, a list of encoded frames written as is, in one write, to
every socket of the room), with, when new messages are among them, their `room.activity`
frames (encoded once by the publisher), which the hub writes to this process's `/ws/rooms/`
sockets watching the room (chat/rooms_socket.py); and a frame for everyone but one person
(`chat.frame_except`: typing and presence.join, never written to that person's sockets).
The hub subscribes to a room's group while any local socket is in the room or watches it,
so a message costs one publish, one event per process, and one write per local socket,
whoever is watching.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import weakref
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import transaction
from websockets.exceptions import InvalidState

from chat import metrics
from chat.frames import encode, message_frame, room_activity_frame, room_recount_frame
from chat.models import Message, Room

logger = logging.getLogger(__name__)

# How long a publish may take before the caller stops waiting. A message is committed by
# then; listeners that miss it recover it by seq.
PUBLISH_TIMEOUT_SECONDS = 2.0
# Every hub listens to this group for events about one person, wherever their sockets are.
PEOPLE_GROUP = "people"

FRAME_EVENT = "chat.frame"
FRAME_EXCEPT_EVENT = "chat.frame_except"
ROOM_STATE_EVENT = "chat.room_state"


class Listener(Protocol):
    """What the hub needs of a socket."""

    user_id: int

    def deliver(self, text: str) -> None:
        """Queue an encoded frame; never blocks."""

    def deliver_all(self, texts: Sequence[str]) -> None:
        """Queue encoded frames, in order; never blocks."""

    def handle_event(self, event: dict[str, Any]) -> None:
        """An event for this socket's user or room that is not a plain frame."""


def room_group_name(room_id: int) -> str:
    return Room(pk=room_id).group_name


def frame_event(group: str, frame: dict[str, Any], skip_user: int | None = None) -> dict[str, Any]:
    """A channel-layer event carrying `frame`, encoded once, to every socket of `group`, or,
    with `skip_user`, to every socket there but that person's."""
    if skip_user is not None:
        return {
            "type": FRAME_EXCEPT_EVENT,
            "group": group,
            "frame": encode(frame),
            "skip_user": skip_user,
        }
    return frames_event(group, [encode(frame)])


def frames_event(group: str, texts: list[str], activity: list[str] | None = None) -> dict[str, Any]:
    """A channel-layer event carrying encoded frames, in order, to every socket of `group`,
    and the `room.activity` frames of the new messages among them, for the sockets watching
    the room (chat/rooms_socket.py)."""
    event = {"type": FRAME_EVENT, "group": group, "frames": texts}
    if activity:
        event["activity"] = activity
    return event


async def publish(group: str, event: dict[str, Any]) -> bool:
    """Send an event to a group on every process. Never raises; returns whether the layer
    took it (failures are logged: what they were about is committed and recoverable)."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
            await get_channel_layer().group_send(group, event)
    except Exception:
        metrics.broadcast_done(False, time.perf_counter() - started)
        logger.exception("Broadcast to %s failed", group)
        return False
    metrics.broadcast_done(True, time.perf_counter() - started)
    return True


async def send_to_room(room: Room, frame: dict[str, Any]) -> bool:
    return await publish(room.group_name, frame_event(room.group_name, frame))


class RoomPublisher:
    """The frames of one room waiting in this process to be published, in the order they
    were asked for. One publish is in flight per room at a time, and it carries every frame
    that queued meanwhile: the sends of one commit batch, whose senders all resume in one
    turn of the event loop, go out as one event, and listeners get them in one write."""

    def __init__(self, group: str, publishers: dict[str, RoomPublisher]) -> None:
        self.group = group
        self.publishers = publishers
        self.waiting: list[str] = []
        self.activity: list[str] = []  # the room.activity frames of the new messages waiting
        self.task = asyncio.create_task(self._publish_waiting(), name=f"chat-publish-{group}")

    async def _publish_waiting(self) -> None:
        try:
            while self.waiting:
                texts, activity, self.waiting, self.activity = self.waiting, self.activity, [], []
                await publish(self.group, frames_event(self.group, texts, activity))
        finally:
            del self.publishers[self.group]


_publishers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, RoomPublisher]] = (
    weakref.WeakKeyDictionary()
)


def send_to_room_soon(room: Room, frame: dict[str, Any]) -> None:
    """Publish in the background: the caller (a socket that just acked a send) goes on to its
    next frame instead of waiting a Redis round trip. A process publishes a room's frames in
    the order they were asked for, several to an event when they queue together."""
    _publisher(room).waiting.append(encode(frame))


def send_message_soon(room: Room, message: Message) -> None:
    """`send_to_room_soon` for a new message: the room hears it, and the sockets watching
    the room hear its `room.activity`, encoded here, once."""
    publisher = _publisher(room)
    publisher.waiting.append(encode(message_frame(message, room.slug)))
    publisher.activity.append(encode(room_activity_frame(message, room.slug)))


def _publisher(room: Room) -> RoomPublisher:
    publishers = _publishers.setdefault(asyncio.get_running_loop(), {})
    publisher = publishers.get(room.group_name)
    if publisher is None:
        publisher = publishers[room.group_name] = RoomPublisher(room.group_name, publishers)
    return publisher


def send_to_room_on_commit(room: Room, frame: dict[str, Any], *, recount: bool = False) -> None:
    """From synchronous code (admin, commands, tasks): send once the transaction commits, so
    sockets never hear of a change that was rolled back. With `recount` (a change to what
    the room's unread or mention counts include), the sockets watching the room hear
    `room.recount`, riding the same event."""
    activity = [encode(room_recount_frame(room.slug))] if recount else None
    event = frames_event(room.group_name, [encode(frame)], activity)
    transaction.on_commit(lambda: async_to_sync(publish)(room.group_name, event))


def send_room_state_on_commit(room: Room, frame: dict[str, Any]) -> None:
    """`send_to_room_on_commit` for `room.updated`: besides the frame, each socket of the
    room learns the room's new state (a read-only room sends no typing)."""
    event = {
        "type": ROOM_STATE_EVENT,
        "group": room.group_name,
        "frame": encode(frame),
        "locked": room.is_locked,
        "archived": room.is_archived,
    }
    transaction.on_commit(lambda: async_to_sync(publish)(room.group_name, event))


def tell_person_on_commit(user_id: int, event: dict[str, Any]) -> None:
    """Once committed, hand `event` to every socket of user `user_id`, on every process."""
    event = {**event, "group": PEOPLE_GROUP, "user_id": user_id}
    transaction.on_commit(lambda: async_to_sync(publish)(PEOPLE_GROUP, event))


# Background publishes about people, referenced until done (the loop keeps only weak ones).
_telling: set[asyncio.Task[bool]] = set()


def tell_person_soon(user_id: int, event: dict[str, Any]) -> None:
    """From async code, about something already committed: hand `event` to every socket of
    user `user_id`, on every process, publishing in the background (as `send_to_room_soon`),
    so that neither the caller nor the database thread waits on the channel layer."""
    event = {**event, "group": PEOPLE_GROUP, "user_id": user_id}
    task = asyncio.create_task(publish(PEOPLE_GROUP, event))
    _telling.add(task)
    task.add_done_callback(_telling.discard)


Send = Callable[[dict[str, Any]], Awaitable[None]]


class Outbox:
    """A socket's queue of room frames, written in order without ever blocking the hub.

    While the connection takes data (its transport is not pushing back), a frame is written
    at once, with no task per frame: `write_now` does what the server's own `send` would.
    Otherwise frames queue, one task drains them through the ASGI `send` (which waits for the
    client), and once more than `limit` bytes wait, `on_overflow` is called and the queue is
    dropped: a client that stops reading costs the server a bounded amount of memory.
    """

    __slots__ = ("draining", "limit", "on_overflow", "queued", "queued_bytes", "send", "write_now")

    def __init__(self, send: Send, limit: int, on_overflow: Callable[[], None]) -> None:
        self.send = send
        self.limit = limit
        self.on_overflow = on_overflow
        self.write_now = direct_writer(send)
        # Made when a frame first has to wait, and dropped once drained: most sockets never
        # need one, and ten thousand idle sockets are ten thousand empty deques otherwise.
        self.queued: deque[str] | None = None
        self.queued_bytes = 0
        # The task writing what queued, or, while held, a future that never runs.
        self.draining: asyncio.Future[None] | None = None

    def put(self, text: str) -> None:
        self.put_all((text,))

    def put_all(self, texts: Sequence[str]) -> None:
        """Frames in order; written in one go when the connection takes data."""
        if self.draining is None and self.write_now is not None and self.write_now(texts):
            return
        if self.queued is None:
            self.queued = deque()
        self.queued.extend(texts)
        self.queued_bytes += sum(map(len, texts))
        if self.queued_bytes > self.limit:
            self.clear()
            self.on_overflow()
            return
        if self.draining is None:
            self.draining = asyncio.create_task(self._drain())

    def hold(self) -> None:
        """Queue frames without writing them until `release`: the socket's first frame is
        still being made. Costs `put` nothing (it already queues while a drain runs)."""
        self.draining = asyncio.get_running_loop().create_future()

    def release(self, first: str) -> None:
        """Write `first`, then whatever queued while held."""
        held = self.queued or ()
        self.queued, self.queued_bytes, self.draining = None, 0, None
        self.put_all((first, *held))

    def clear(self) -> None:
        """Drop what waits (the socket is closing)."""
        self.queued = None
        self.queued_bytes = 0

    async def _drain(self) -> None:
        try:
            while self.queued:
                text = self.queued.popleft()
                self.queued_bytes -= len(text)
                await self.send({"type": "websocket.send", "text": text})
        except Exception:
            pass  # the client is gone; its disconnect follows
        finally:
            self.clear()
            self.draining = None


def direct_writer(send: Send) -> Callable[[Sequence[str]], bool] | None:
    """For uvicorn's sans-I/O websockets protocol (project/serve.py): a function that writes
    text frames at once, in one write, and returns True, or returns False when the transport
    is pushing back or closing. It does what that protocol's `send` does for each text frame
    on a writable connection; skipping the coroutine and the task around it halved the CPU of
    a fan-out (docs/performance.md). None for any other server: frames then go through `send`.
    """
    while hasattr(send, "__wrapped__"):  # middleware that only watches accept and close
        send = send.__wrapped__
    protocol = getattr(send, "__self__", None)
    # project/websocket.py's subclass of it, in the real server.
    if not any(cls.__name__ == "WebSocketsSansIOProtocol" for cls in type(protocol).__mro__):
        return None
    connection, transport, writable = protocol.conn, protocol.transport, protocol.writable

    def write_now(texts: Sequence[str]) -> bool:
        if not writable.is_set() or protocol.close_sent or transport.is_closing():
            return False
        try:
            for text in texts:
                connection.send_text(text.encode())
        except InvalidState:
            return False  # closing: the ASGI path reports the disconnect
        transport.write(b"".join(connection.data_to_send()))
        return True

    return write_now


class Hub:
    """One per server process (per event loop): the channel-layer end of every local socket."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.channel = ""
        self.rooms: dict[str, set[Listener]] = {}
        # `/ws/rooms/` sockets, by the group of each room they watch.
        self.watchers: dict[str, set[Listener]] = {}
        self.users: dict[int, set[Listener]] = defaultdict(set)
        self._subscribed: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._listening: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.channel = await self.layer.new_channel()
        await self._subscribe(PEOPLE_GROUP)
        self._listening = asyncio.create_task(self._listen(), name="chat-hub")

    async def join(self, group: str, listener: Listener) -> None:
        """Add a socket to a room's group. Once this returns, every frame published to the
        group reaches it. Raises when the channel layer cannot subscribe."""
        self.rooms.setdefault(group, set()).add(listener)
        self.follow(listener)
        try:
            await self._subscribe(group)
        except BaseException:
            await self.leave(group, listener)
            raise

    async def leave(self, group: str, listener: Listener) -> None:
        members = self.rooms.get(group, set())
        members.discard(listener)
        if not members:
            self.rooms.pop(group, None)
        self.unfollow(listener)
        await self._release(group)

    def follow(self, listener: Listener) -> None:
        """Events about the listener's person reach it (PEOPLE_GROUP)."""
        self.users[listener.user_id].add(listener)

    def unfollow(self, listener: Listener) -> None:
        mine = self.users.get(listener.user_id)
        if mine is not None:
            mine.discard(listener)
            if not mine:
                del self.users[listener.user_id]

    async def watch(self, groups: set[str], listener: Listener) -> None:
        """A `/ws/rooms/` socket hears the `room.activity` of these rooms once this returns.
        Raises when the channel layer cannot subscribe (some may be watched by then)."""
        for group in groups:
            self.watchers.setdefault(group, set()).add(listener)
        await asyncio.gather(*(self._subscribe(group) for group in groups))

    async def unwatch(self, groups: set[str], listener: Listener) -> None:
        for group in groups:
            watching = self.watchers.get(group)
            if watching is not None:
                watching.discard(listener)
                if not watching:
                    del self.watchers[group]
        await asyncio.gather(*(self._release(group) for group in groups))

    async def _release(self, group: str) -> None:
        """Unsubscribe from a group no local socket is in or watches any more."""
        if self.rooms.get(group) or self.watchers.get(group):
            return
        async with self._locks[group]:
            # A socket may have joined while we waited for the lock.
            if self.rooms.get(group) or self.watchers.get(group):
                return
            if group not in self._subscribed:
                return
            self._subscribed.discard(group)
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:
                logger.warning("Leaving group %s failed", group, exc_info=True)

    async def _subscribe(self, group: str) -> None:
        async with self._locks[group]:
            if group not in self._subscribed:
                await self.layer.group_add(group, self.channel)
                self._subscribed.add(group)

    async def _listen(self) -> None:
        while True:
            try:
                event = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("The hub's channel failed; listening again")
                await asyncio.sleep(0.5)
                continue
            try:
                self.dispatch(event)
            except Exception:
                logger.exception("Delivering a %s event failed", event.get("type"))

    def dispatch(self, event: dict[str, Any]) -> None:
        group = event.get("group")
        if group == PEOPLE_GROUP:
            for listener in list(self.users.get(event["user_id"], ())):
                listener.handle_event(event)
            return
        members = self.rooms.get(group, ())
        kind = event["type"]
        if kind == FRAME_EVENT:
            texts = event["frames"]
            for listener in members:
                listener.deliver_all(texts)
            metrics.delivered(len(members) * len(texts))
            activity = event.get("activity")
            if activity is not None and group in self.watchers:
                for listener in self.watchers[group]:
                    listener.deliver_all(activity)
            return
        if kind == FRAME_EXCEPT_EVENT:
            text, skip, told = event["frame"], event["skip_user"], 0
            for listener in members:
                if listener.user_id != skip:
                    listener.deliver(text)
                    told += 1
            metrics.delivered(told)
            return
        for listener in list(members):
            listener.handle_event(event)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future[Hub]] = (
    weakref.WeakKeyDictionary()
)


async def get_hub() -> Hub:
    """This process's hub, started on first use (one per event loop)."""
    loop = asyncio.get_running_loop()
    starting = _hubs.get(loop)
    if starting is None or (starting.done() and starting.exception() is not None):
        starting = loop.create_future()
        _hubs[loop] = starting
        hub = Hub(get_channel_layer())
        try:
            # In a context of its own: the hub and the layer's tasks serve every socket, and
            # must not log as the socket whose connect happened to start them (project/ops/logs.py).
            await asyncio.create_task(hub.start(), context=contextvars.Context())
        except BaseException as error:
            starting.set_exception(error)
            starting.exception()  # retrieved: the next caller tries again
            raise
        starting.set_result(hub)
    return await asyncio.shield(starting)
