"""The room socket, /ws/chat/<slug>/. The wire contract is docs/protocol.md.

The socket has no channel-layer channel of its own: frames of its room reach it through
this process's hub (chat/broadcast.py), and its sends are saved by the group commit of
chat/posting.py. The consumer parses, calls, and answers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from chat import frames, metrics, posting, services
from chat.broadcast import Hub, Outbox, get_hub, send_to_room_soon
from chat.frames import (
    BadFrame,
    DeleteRequest,
    EditRequest,
    HistoryRequest,
    ResumeRequest,
    SendRequest,
    parse_frame,
)
from chat.models import Message, Room, RoomBan

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NO_SUCH_ROOM = 4404
CLOSE_TOO_SLOW = 4408
CLOSE_TRY_AGAIN_LATER = 1013
# A connect that cannot reach the channel layer within this gives up with 1013.
JOIN_TIMEOUT_SECONDS = 5.0


def on_database_thread(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Run `function` on the database thread, returning its connection to the pool after.

    database_sync_to_async closes old connections around the call too, but here a connection
    that a database restart had cut stayed attached to the database thread and failed every
    later call (tests/test_database_down.py); releasing it inside the call fixes that.
    """

    @functools.wraps(function)
    def released(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return database_sync_to_async(released)


find_room = on_database_thread(services.find_room)
find_restriction = on_database_thread(services.restriction_of)
read_history_before = on_database_thread(services.history_before)
read_history_after = on_database_thread(services.history_after)
read_history_around = on_database_thread(services.history_around)
edit_message = on_database_thread(services.edit_message)
delete_own_message = on_database_thread(services.delete_own_message)


class ChatConsumer(AsyncWebsocketConsumer):
    # No channel per socket: the hub delivers the room's frames (chat/broadcast.py).
    channel_layer_alias = None  # type: ignore[assignment]

    room: Room | None = None
    hub: Hub | None = None
    user_id: int = 0
    # Frames are delivered only once the socket is admitted (signed in, room found, not
    # banned); the ban or mute that applies, kept up to date by `restriction` events.
    admitted = False
    restriction_kind: str | None = None
    restriction_until: datetime | None = None

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.refuse(CLOSE_NOT_SIGNED_IN)
            return
        self.user_id = user.pk
        try:
            room = await find_room(self.scope["url_route"]["kwargs"]["slug"])
        except Room.DoesNotExist:
            await self.refuse(CLOSE_NO_SUCH_ROOM)
            return
        except DatabaseError:
            logger.warning("Room lookup failed; refusing with 1013", exc_info=True)
            await self.refuse(CLOSE_TRY_AGAIN_LATER)
            return
        try:
            async with asyncio.timeout(JOIN_TIMEOUT_SECONDS):
                self.hub = await get_hub()
                await self.hub.join(room.group_name, self)
        except Exception:
            logger.warning("Joining room %s failed; refusing with 1013", room.pk, exc_info=True)
            await self.refuse(CLOSE_TRY_AGAIN_LATER)
            return
        self.room = room
        # Joined first, then checked: a ban committed before this read is seen here, and one
        # committed after it reaches the socket as an event.
        try:
            restriction = await find_restriction(room, user)
        except DatabaseError:
            logger.warning("Restriction lookup failed; refusing with 1013", exc_info=True)
            await self.refuse(CLOSE_TRY_AGAIN_LATER)
            return
        if restriction is not None and restriction.kind == RoomBan.Kind.BAN:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.restrict(restriction.kind if restriction else None, restriction and restriction.until)
        # Frames published between the join and here are dropped; the client's resume, sent
        # once it sees the socket open, reads them from the database.
        await self.accept()
        self.outbox = Outbox(
            self.base_send,
            limit=settings.CHAT_SOCKET_BUFFER_BYTES,
            on_overflow=lambda: self.close_soon(CLOSE_TOO_SLOW),
        )
        self.admitted = True

    async def refuse(self, code: int) -> None:
        # Accept first: a close before the handshake completes reaches the browser as 1006,
        # and the page could not tell "sign in" from "no such room".
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        self.admitted = False
        if self.room is not None and self.hub is not None:
            await self.hub.leave(self.room.group_name, self)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels releases stale database connections before every handler, a hop to the
        # database thread per frame. Nothing here uses the thread's connection without
        # releasing it itself (on_database_thread), so the hop is skipped.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.admitted:
            return  # refused and closing: frames sent before the close are dropped
        try:
            request = parse_frame(text_data)
        except BadFrame as error:
            metrics.error_sent(error.code, error.client_id)
            await self.send_frame(frames.error_frame(error.code, error.detail, error.client_id))
            return
        match request:
            case SendRequest():
                await self.message_send(request)
            case ResumeRequest():
                await self.resume(request)
            case HistoryRequest(around_seq=int()):
                await self.history_around(request)
            case HistoryRequest():
                await self.history(request)
            case EditRequest():
                await self.message_edit(request)
            case DeleteRequest():
                await self.message_delete(request)

    async def message_send(self, request: SendRequest) -> None:
        assert self.room is not None
        try:
            body = services.clean_body(request.body)
            self.check_not_muted()
            saved = services.checked(
                await posting.post(self.room, self.scope["user"], body, request.client_id)
            )
        except services.Rejected as rejection:
            if rejection.code == "not_signed_in":
                await self.close(code=CLOSE_NOT_SIGNED_IN)
                return
            await self.send_error(rejection.code, rejection.detail, request.client_id)
            return
        except DatabaseError:
            logger.exception("Saving a message in room %s failed", self.room.pk)
            await self.send_unavailable(request.client_id)
            return
        await self.send_frame(frames.ack_frame(request.client_id, saved.id, saved.seq))
        if saved.created:
            metrics.message_saved(saved.seq, request.client_id)
            message = Message(
                id=saved.id,
                seq=saved.seq,
                author=self.scope["user"],
                body=body,
                client_id=request.client_id,
                created_at=saved.created_at,
            )
            send_to_room_soon(self.room, frames.message_frame(message, self.room.slug))

    def check_not_muted(self) -> None:
        if self.restriction_kind != RoomBan.Kind.MUTE:
            return
        if self.restriction_until is None or self.restriction_until > timezone.now():
            raise services.Rejected("muted", "You are muted in this room.")

    async def resume(self, request: ResumeRequest) -> None:
        """Everything after `after_seq`, page by page. The socket joined the room's group
        before this runs, so anything committed meanwhile also arrives live; clients drop
        duplicates by seq."""
        assert self.room is not None
        last_seq = request.after_seq
        while True:
            try:
                page = await read_history_after(self.room, last_seq, settings.CHAT_MAX_PAGE_SIZE)
            except DatabaseError:
                logger.exception("Resume in room %s failed", self.room.pk)
                await self.send_unavailable()
                return
            if page.messages:
                await self.send_frame(frames.history_frame(page, self.room.slug))
                last_seq = page.messages[-1].seq
            if not page.has_more:
                break
        await self.send_frame(frames.resumed_frame(last_seq))

    async def history(self, request: HistoryRequest) -> None:
        assert self.room is not None
        try:
            page = await read_history_before(self.room, request.before_seq, request.limit)
        except DatabaseError:
            logger.exception("History in room %s failed", self.room.pk)
            await self.send_unavailable()
            return
        await self.send_frame(frames.history_frame(page, self.room.slug))

    async def history_around(self, request: HistoryRequest) -> None:
        assert self.room is not None and request.around_seq is not None
        try:
            page = await read_history_around(self.room, request.around_seq, request.limit)
        except DatabaseError:
            logger.exception("History in room %s failed", self.room.pk)
            await self.send_unavailable()
            return
        await self.send_frame(frames.around_frame(page, self.room.slug))

    async def message_edit(self, request: EditRequest) -> None:
        """Acked like a send; the service broadcasts `message.edited` once committed."""
        assert self.room is not None
        user = self.scope["user"]
        edited = await self.changing_own(
            edit_message(self.room, user, request.message_id, request.body), request.client_id
        )
        if edited is not None:
            message = edited.message
            await self.send_frame(frames.ack_frame(request.client_id, message.id, message.seq))

    async def message_delete(self, request: DeleteRequest) -> None:
        """Answered by the `message.deleted` broadcast the service sends once committed."""
        assert self.room is not None
        user = self.scope["user"]
        await self.changing_own(
            delete_own_message(self.room, user, request.message_id), request.client_id
        )

    async def changing_own(self, change: Awaitable[R], client_id: str | None) -> R | None:
        """Await an edit or delete; a refusal becomes an error frame (a ban, 4403)."""
        assert self.room is not None
        try:
            return await change
        except services.Rejected as rejection:
            await self.send_error(rejection.code, rejection.detail, client_id)
        except PermissionDenied:
            await self.close(code=CLOSE_FORBIDDEN)
        except DatabaseError:
            logger.exception("Changing a message in room %s failed", self.room.pk)
            await self.send_unavailable(client_id)
        return None

    # Delivery from the hub: never blocks the hub, whatever the client does.

    def deliver(self, text: str) -> None:
        """A frame of the room, from the hub. A socket whose client stopped reading is closed
        (4408: reconnect and resume) once CHAT_SOCKET_BUFFER_BYTES of frames wait for it."""
        if self.admitted:
            self.outbox.put(text)

    def handle_event(self, event: dict[str, Any]) -> None:
        """An event about this socket's person (see chat.broadcast.tell_person_on_commit)."""
        if event["type"] == "chat.restriction" and self.room and event["room_id"] == self.room.pk:
            frame = event["frame"]
            if frame["kind"] == RoomBan.Kind.BAN:
                self.close_soon(CLOSE_FORBIDDEN)
                return
            until = frame["until"]
            self.restrict(frame["kind"], datetime.fromisoformat(until) if until else None)
            self.deliver(frames.encode(frame))

    def restrict(self, kind: str | None, until: datetime | None) -> None:
        self.restriction_kind, self.restriction_until = kind, until

    def close_soon(self, code: int) -> None:
        self.admitted = False
        self.closing = asyncio.create_task(self.close(code=code))

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=frames.encode(frame))

    async def send_error(self, code: str, detail: str, client_id: str | None = None) -> None:
        metrics.error_sent(code, client_id)
        await self.send_frame(frames.error_frame(code, detail, client_id))

    async def send_unavailable(self, client_id: str | None = None) -> None:
        detail = "The database is unavailable; nothing was saved. Retry with the same client_id."
        if client_id is None:
            detail = "The database is unavailable; try again shortly."
        await self.send_error("unavailable", detail, client_id)
