"""The room socket, /ws/chat/<slug>/. The wire contract is docs/protocol.md."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, close_old_connections

from chat import services
from chat.frames import BadFrame, HistoryRequest, ResumeRequest, SendRequest, parse_frame
from chat.models import Room

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NO_SUCH_ROOM = 4404
CLOSE_TRY_AGAIN_LATER = 1013


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


post_message = on_database_thread(services.post_message)
history_before = on_database_thread(services.history_before)
history_after = on_database_thread(services.history_after)
room_for_user = on_database_thread(services.room_for_user)


class ChatConsumer(AsyncWebsocketConsumer):
    room: Room | None = None

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.refuse(CLOSE_NOT_SIGNED_IN)
            return
        try:
            self.room = await room_for_user(self.scope["url_route"]["kwargs"]["slug"], user)
        except Room.DoesNotExist:
            await self.refuse(CLOSE_NO_SUCH_ROOM)
            return
        except PermissionDenied:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        except DatabaseError:
            logger.exception("Room lookup failed")
            await self.refuse(CLOSE_TRY_AGAIN_LATER)
            return
        try:
            await self.channel_layer.group_add(self.room.group_name, self.channel_name)
        except Exception:
            logger.exception("Joining group %s failed", self.room.group_name)
            self.room = None
            await self.refuse(CLOSE_TRY_AGAIN_LATER)
            return
        await self.accept()

    async def refuse(self, code: int) -> None:
        # Accept first: a close before the handshake completes reaches the browser as 1006,
        # and the page could not tell "sign in" from "no such room".
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.room is not None:
            await self.channel_layer.group_discard(self.room.group_name, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None:
            return  # refused and closing: frames sent before the close are dropped
        try:
            request = parse_frame(text_data)
        except BadFrame as error:
            await self.send_error(error.code, error.detail, error.client_id)
            return
        match request:
            case SendRequest():
                await self.message_send(request)
            case ResumeRequest():
                await self.resume(request)
            case HistoryRequest():
                await self.history(request)

    async def message_send(self, request: SendRequest) -> None:
        try:
            posted = await post_message(
                self.room, self.scope["user"], request.body, request.client_id
            )
        except services.Rejected as rejection:
            await self.send_error(rejection.code, rejection.detail, request.client_id)
            return
        except PermissionDenied:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        except DatabaseError:
            logger.exception("Saving a message in room %s failed", self.room.pk)
            await self.send_unavailable(request.client_id)
            return
        message = posted.message
        await self.send_json(
            {"type": "ack", "client_id": message.client_id, "id": message.id, "seq": message.seq}
        )
        if posted.created:
            await services.broadcast_message(message, self.room)

    async def resume(self, request: ResumeRequest) -> None:
        """Everything after `after_seq`, page by page. The socket joined the room's group
        before this runs, so anything committed meanwhile also arrives live; clients drop
        duplicates by seq."""
        last_seq = request.after_seq
        while True:
            try:
                page = await history_after(self.room, last_seq, settings.CHAT_MAX_PAGE_SIZE)
            except DatabaseError:
                logger.exception("Resume in room %s failed", self.room.pk)
                await self.send_unavailable()
                return
            if page.messages:
                await self.send_json({"type": "history", **page.as_payload(self.room)})
                last_seq = page.messages[-1].seq
            if not page.has_more:
                break
        await self.send_json({"type": "resumed", "last_seq": last_seq})

    async def history(self, request: HistoryRequest) -> None:
        try:
            page = await history_before(self.room, request.before_seq, request.limit)
        except DatabaseError:
            logger.exception("History in room %s failed", self.room.pk)
            await self.send_unavailable()
            return
        await self.send_json({"type": "history", **page.as_payload(self.room)})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels releases stale database connections before every handler, a hop to the
        # database thread each time. A broadcast frame touches no database, and that hop per
        # frame per socket halved fan-out (docs/performance.md); the database calls here
        # release their own connections (on_database_thread).
        if message["type"] == "chat.frame":
            await self.chat_frame(message)
            return
        await super().dispatch(message)

    async def chat_frame(self, event: dict[str, Any]) -> None:
        # The frame was encoded once by the broadcaster for every socket of the room.
        await self.send(text_data=event["frame"])

    async def chat_restriction(self, event: dict[str, Any]) -> None:
        """A moderator banned, muted or lifted a restriction on someone in this room."""
        if event["user_id"] != self.scope["user"].pk:
            return
        if event["kind"] == "ban":
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.send_json(
            {
                "type": "restriction",
                "kind": event["kind"],
                "until": event["until"],
                "reason": event["reason"],
            }
        )

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content))

    async def send_error(self, code: str, detail: str, client_id: str | None = None) -> None:
        await self.send_json(
            {"type": "error", "code": code, "detail": detail, "client_id": client_id}
        )

    async def send_unavailable(self, client_id: str | None = None) -> None:
        detail = "The database is unavailable; nothing was saved. Retry with the same client_id."
        if client_id is None:
            detail = "The database is unavailable; try again shortly."
        await self.send_error("unavailable", detail, client_id)
