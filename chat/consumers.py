"""The room socket, /ws/chat/<slug>/. The wire contract is docs/protocol.md.

The socket has no channel-layer channel of its own: frames of its room reach it through
this process's hub (chat/broadcast.py), and its sends are saved by the group commit of
chat/posting.py. The consumer parses, calls, and answers.

What one socket can cost the server is bounded. Frames are handled one at a time, in order,
and the server reads no further frames while one waits (uvicorn pauses reading), except
that up to MAX_SENDS_IN_FLIGHT sends may wait for their commit meanwhile. Every
frame the socket is sent, answers and room frames alike, goes through one outbox that the
consumer never waits on: a client that stops reading is closed with 4408 once its outbox
passes CHAT_SOCKET_BUFFER_BYTES, and answers are at most CHAT_MAX_PAGE_BYTES each (one page
per `resume`). Frames past CHAT_FRAME_LIMIT are answered `rate_limited`, and twice past it
close the socket with 4429 (chat/limits.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from chat import frames, limits, membership, metrics, posting, presence, services
from chat.broadcast import Hub, Outbox, get_hub, send_message_soon, tell_person_soon
from chat.converters import RoomSlugConverter
from chat.frames import (
    BadFrame,
    DeleteRequest,
    EditRequest,
    HistoryRequest,
    ReadRequest,
    ResumeRequest,
    SendRequest,
    TypingRequest,
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
CLOSE_TOO_MANY = 4429
CLOSE_TRY_AGAIN_LATER = 1013
# A socket's sends saving at once; with this many waiting, the socket's next frame waits.
MAX_SENDS_IN_FLIGHT = 16
# A connect that cannot reach the channel layer within this gives up with 1013.
JOIN_TIMEOUT_SECONDS = 5.0
# The shape of every room slug (the URL converter's): anything else names no room, and is
# refused before it reaches a query (PostgreSQL refuses a NUL byte outright).
ROOM_SLUG_RE = re.compile(RoomSlugConverter.regex)


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


class PersonSocket(AsyncWebsocketConsumer):
    """What Parley's two sockets share (the room socket below, the my-rooms socket in
    chat/rooms_socket.py): no channel-layer channel of their own, admission as the person
    signed in and within their socket cap, an outbox for everything they are sent, and the
    close for a signed-out session. Subclasses add their own checks in `admission` and their
    own events in `handle_event`."""

    # No channel per socket: the hub delivers frames and events (chat/broadcast.py).
    channel_layer_alias = None  # type: ignore[assignment]

    hub: Hub | None = None
    user_id: int = 0
    socket_id = ""  # as counted by chat.limits.open_socket
    # Frames are delivered only once the socket is admitted.
    admitted = False
    # A close that an event asked for while the socket was still connecting.
    refusal: int | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Channels' own loop (await_many_dispatch) keeps a task per socket waiting on
        # `receive`, made for a channel-layer channel this socket does not have; reading the
        # one source directly saves that task, about a kibibyte per open socket.
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels releases stale database connections before every handler, a hop to the
        # database thread per frame. Nothing here uses the thread's connection without
        # releasing it itself (on_database_thread), so the hop is skipped.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        code = await self.admission()
        if code is None and self.refusal is not None:
            code = self.refusal  # banned or signed out while connecting
        if code is not None:
            await self.refuse(code, "too many sockets" if code == CLOSE_TOO_MANY else "")
            return
        await self.open()

    async def admission(self) -> int | None:
        """The close code to refuse with, or None to accept."""
        return await self.admit_person()

    async def open(self) -> None:
        await self.accept()
        self.admitted = True

    async def admit_person(self) -> int | None:
        """Signed in (with a session that could be read) and within the per-person socket
        cap; the socket's outbox and frame budget are made here."""
        if self.scope.get("session_unavailable"):
            return CLOSE_TRY_AGAIN_LATER  # accounts.websocket logged why
        user = self.scope["user"]
        if not user.is_authenticated:
            return CLOSE_NOT_SIGNED_IN
        self.user_id = user.pk
        self.outbox = Outbox(
            self.base_send,
            limit=settings.CHAT_SOCKET_BUFFER_BYTES,
            on_overflow=lambda: self.close_soon(CLOSE_TOO_SLOW, "too slow"),
        )
        self.frame_budget = limits.FrameBudget(settings.CHAT_FRAME_LIMIT)
        try:
            async with asyncio.timeout(JOIN_TIMEOUT_SECONDS):
                self.socket_id = await limits.open_socket(self.user_id)
        except limits.TooManySockets:
            return CLOSE_TOO_MANY
        except Exception as error:
            logger.warning("Counting a socket failed (%r); refusing with 1013", error)
            return CLOSE_TRY_AGAIN_LATER
        return None

    async def refuse(self, code: int, reason: str = "") -> None:
        # Accept first: a close before the handshake completes reaches the browser as 1006,
        # and the page could not tell "sign in" from "no such room".
        await self.accept()
        await self.close(code=code, reason=reason)

    # Everything the socket is sent goes through its outbox, whatever the client does: the
    # hub never waits on a socket, and neither does the consumer.

    def deliver(self, text: str) -> None:
        """Queue an encoded frame. A socket whose client stopped reading is closed (4408,
        reconnect and resume) once its outbox passes CHAT_SOCKET_BUFFER_BYTES."""
        if self.admitted:
            self.outbox.put(text)

    def deliver_all(self, texts: Sequence[str]) -> None:
        if self.admitted:
            self.outbox.put_all(texts)

    def handle_event(self, event: dict[str, Any]) -> None:
        """An event about this socket's person (see chat.broadcast.tell_person_on_commit)."""
        if event["type"] == "chat.signed_out" and event["session_key"] in (
            None,
            self.scope["session_key"],
        ):
            self.end(CLOSE_NOT_SIGNED_IN)

    def end(self, code: int) -> None:
        """Close for `code` now, or, while still connecting, refuse with it."""
        if self.admitted:
            self.close_soon(code)
        else:
            self.refusal = code

    def close_soon(self, code: int, reason: str = "") -> None:
        """Close without waiting: whatever is still queued is dropped, and the close frame
        follows the frame being written, if any."""
        self.admitted = False
        self.outbox.clear()
        self.closing = asyncio.create_task(self.close(code=code, reason=reason))


class ChatConsumer(PersonSocket):
    room: Room | None = None
    # The ban or mute that applies, kept up to date by `restriction` events.
    restriction_kind: str | None = None
    restriction_until: datetime | None = None
    # Counted in the room's presence (chat/presence.py) until the socket closes.
    present = False

    async def open(self) -> None:
        # Frames published between the join and here are dropped; the client's resume, sent
        # once it sees the socket open, reads them from the database. From the accept on,
        # frames wait until the `presence` list has gone first.
        await self.accept()
        self.outbox.hold()
        self.admitted = True
        here = await self.arrive()
        if self.admitted:
            self.outbox.release(frames.encode(frames.presence_frame(here.people, here.count)))

    async def arrive(self) -> presence.Here:
        assert self.room is not None
        self.present = True
        return await presence.get_presence().arrive(self.room.pk, self.person)

    @property
    def person(self) -> presence.Person:
        return self.user_id, self.scope["user"].get_username()

    async def admission(self) -> int | None:
        """The checks of docs/protocol.md, "Opening", in order: the close code to refuse
        with, or None once the socket has joined its room and may be admitted."""
        slug = self.scope["url_route"]["kwargs"]["slug"]
        if not ROOM_SLUG_RE.fullmatch(slug):
            return CLOSE_NO_SUCH_ROOM  # before anything reads the database
        code = await self.admit_person()
        if code is not None:
            return code
        self.sending: set[asyncio.Task[None]] = set()
        self.typing_gate = presence.TypingGate()
        return await self.join(slug) or await self.check_ban() or await self.become_member()

    async def join(self, slug: str) -> int | None:
        try:
            room = await on_database_thread(services.find_room)(slug)
        except Room.DoesNotExist:
            return CLOSE_NO_SUCH_ROOM
        except DatabaseError as error:
            logger.warning("Room lookup failed (%r); refusing with 1013", error)
            return CLOSE_TRY_AGAIN_LATER
        try:
            async with asyncio.timeout(JOIN_TIMEOUT_SECONDS):
                self.hub = await get_hub()
                await self.hub.join(room.group_name, self)
        except Exception as error:
            logger.warning("Joining room %s failed (%r); refusing with 1013", room.pk, error)
            return CLOSE_TRY_AGAIN_LATER
        self.room = room
        return None

    async def check_ban(self) -> int | None:
        # Joined first, then checked: a ban committed before this read is seen here, and one
        # committed after it reaches the socket as an event.
        try:
            return CLOSE_FORBIDDEN if await self.banned() else None
        except DatabaseError as error:
            logger.warning("Restriction lookup failed (%r); refusing with 1013", error)
            return CLOSE_TRY_AGAIN_LATER

    async def become_member(self) -> int | None:
        # Opening a room joins it (docs/protocol.md, "Membership"): only once admitted, so a
        # banned person never becomes a member by trying.
        assert self.room is not None
        try:
            joined = await on_database_thread(membership.join)(
                self.room, self.scope["user"], announce=False
            )
        except DatabaseError as error:
            logger.warning("Joining room %s failed (%r); refusing with 1013", self.room.pk, error)
            return CLOSE_TRY_AGAIN_LATER
        if joined:  # committed (autocommit): announced from here, not the database thread
            tell_person_soon(self.user_id, membership.rooms_changed_event())
        return None

    async def disconnect(self, code: int) -> None:
        self.admitted = False
        self.depart()
        if self.room is not None and self.hub is not None:
            await self.hub.leave(self.room.group_name, self)
        await limits.close_socket(self.user_id, self.socket_id)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.admitted:
            return  # refused or closing: frames sent before the close are dropped
        wait = self.frame_budget.spend()
        if self.frame_budget.flooding:
            self.close_soon(CLOSE_TOO_MANY, "too many frames")
            return
        try:
            request = parse_frame(text_data)
        except BadFrame as error:
            await self.sends_answered()
            metrics.error_sent(error.code, error.client_id)
            if wait:
                self.send_frame(frames.rate_limited_frame(wait, error.client_id))
            else:
                self.send_frame(frames.error_frame(error.code, error.detail, error.client_id))
            return
        if wait or not isinstance(request, SendRequest | TypingRequest):
            await self.sends_answered()
        if wait:
            client_id = request.client_id if isinstance(request, SendRequest) else None
            self.send_frame(frames.rate_limited_frame(wait, client_id))
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
            case ReadRequest():
                await self.read(request)
            case TypingRequest():
                self.typing()

    async def message_send(self, request: SendRequest) -> None:
        """Check the send, then save and answer it in the background (`save_and_answer`) while
        the socket's next frames are read: a client with several sends unacked fills its
        room's next batch instead of waiting a commit per send. At most
        MAX_SENDS_IN_FLIGHT of a socket's sends wait at once; past that, reading pauses.

        Sends keep their order: a socket's sends join their room's queue in the order they
        came, batches commit one after another, and their senders resume in seq order and
        queue the broadcasts in that order, which each process publishes in turn
        (chat/broadcast.py, RoomPublisher)."""
        assert self.room is not None
        try:
            body = services.clean_body(request.body)
            self.check_not_muted()
            await limits.count_send(self.user_id)
        except limits.RateLimited as limited:
            await self.sends_answered()
            self.send_frame(frames.rate_limited_frame(limited.retry_after, request.client_id))
            return
        except services.Rejected as rejection:
            await self.sends_answered()
            self.send_error(rejection.code, rejection.detail, request.client_id)
            return
        saving = asyncio.create_task(self.save_and_answer(request, body))
        self.sending.add(saving)
        saving.add_done_callback(self.sending.discard)
        if len(self.sending) >= MAX_SENDS_IN_FLIGHT:
            await asyncio.wait(self.sending, return_when=asyncio.FIRST_COMPLETED)

    async def sends_answered(self) -> None:
        """Wait until the socket's sends in flight are answered: every other answer waits for
        them, so a socket's answers keep the order of its frames (docs/protocol.md)."""
        if self.sending:
            await asyncio.wait(set(self.sending))

    async def save_and_answer(self, request: SendRequest, body: str) -> None:
        """Save the send with its room's next batch (chat/posting.py), then ack it and
        broadcast it. Nothing is acked or broadcast unless its batch committed."""
        assert self.room is not None
        try:
            saved = services.checked(
                await posting.post(self.room, self.scope["user"], body, request.client_id)
            )
        except services.AuthorInactive:
            self.close_soon(CLOSE_NOT_SIGNED_IN)
            return
        except services.Rejected as rejection:
            self.send_error(rejection.code, rejection.detail, request.client_id)
            return
        except DatabaseError:
            logger.exception("Saving a message in room %s failed", self.room.pk)
            self.send_unavailable(request.client_id)
            return
        self.send_frame(frames.ack_frame(request.client_id, saved.id, saved.seq))
        metrics.message_saved(saved.seq, request.client_id)
        if saved.created:
            message = Message(
                id=saved.id,
                seq=saved.seq,
                author=self.scope["user"],
                body=body,
                client_id=request.client_id,
                created_at=saved.created_at,
                mentions=saved.mentions,
            )
            send_message_soon(self.room, message)

    def typing(self) -> None:
        """Tell the others in the room, at most once a second; never from a muted or banned
        person or in a read-only room. Nothing is answered either way."""
        assert self.room is not None
        allowed = presence.may_type(
            locked=self.room.is_locked,
            archived=self.room.is_archived,
            restriction=self.restriction_kind,
            until=self.restriction_until,
        )
        if allowed and self.typing_gate.passes():
            presence.send_typing_soon(self.room.pk, self.person)

    def check_not_muted(self) -> None:
        if self.restriction_kind != RoomBan.Kind.MUTE:
            return
        if self.restriction_until is None or self.restriction_until > timezone.now():
            raise services.Rejected("muted", "You are muted in this room.")

    async def resume(self, request: ResumeRequest) -> None:
        """One page of what came after `after_seq`, then `resumed` saying where it stopped
        and whether more follow: the client asks again from there. The socket joined the
        room's group before this runs, so anything committed meanwhile also arrives live;
        clients drop duplicates by seq."""
        assert self.room is not None
        try:
            if await self.banned():
                return
            page = await on_database_thread(services.history_after)(
                self.room, request.after_seq, settings.CHAT_MAX_PAGE_SIZE
            )
        except DatabaseError:
            logger.exception("Resume in room %s failed", self.room.pk)
            self.send_unavailable()
            return
        frame = frames.history_frame(page, self.room.slug, settings.CHAT_MAX_PAGE_BYTES)
        last_seq = request.after_seq
        if frame["messages"]:
            self.send_frame(frame)
            last_seq = frame["messages"][-1]["seq"]
        self.send_frame(frames.resumed_frame(last_seq, frame["has_more"]))

    async def history(self, request: HistoryRequest) -> None:
        assert self.room is not None
        try:
            if await self.banned():
                return
            page = await on_database_thread(services.history_before)(
                self.room, request.before_seq, request.limit
            )
        except DatabaseError:
            logger.exception("History in room %s failed", self.room.pk)
            self.send_unavailable()
            return
        max_bytes = settings.CHAT_MAX_PAGE_BYTES
        self.send_frame(frames.history_frame(page, self.room.slug, max_bytes, keep_newest=True))

    async def history_around(self, request: HistoryRequest) -> None:
        assert self.room is not None and request.around_seq is not None
        try:
            if await self.banned():
                return
            page = await on_database_thread(services.history_around)(
                self.room, request.around_seq, request.limit
            )
        except DatabaseError:
            logger.exception("History in room %s failed", self.room.pk)
            self.send_unavailable()
            return
        self.send_frame(frames.around_frame(page, self.room.slug))

    async def message_edit(self, request: EditRequest) -> None:
        """Acked like a send; the service broadcasts `message.edited` once committed."""
        assert self.room is not None
        user = self.scope["user"]
        edited = await self.changing_own(
            on_database_thread(services.edit_message)(
                self.room, user, request.message_id, request.body
            ),
            request.client_id,
        )
        if edited is not None:
            message = edited.message
            self.send_frame(frames.ack_frame(request.client_id, message.id, message.seq))

    async def message_delete(self, request: DeleteRequest) -> None:
        """Answered by the `message.deleted` broadcast the service sends once committed."""
        assert self.room is not None
        user = self.scope["user"]
        await self.changing_own(
            on_database_thread(services.delete_own_message)(self.room, user, request.message_id),
            request.client_id,
        )

    async def changing_own(self, change: Awaitable[R], client_id: str | None) -> R | None:
        """Await an edit or delete; a refusal becomes an error frame (a ban, 4403)."""
        assert self.room is not None
        try:
            return await change
        except services.Rejected as rejection:
            self.send_error(rejection.code, rejection.detail, client_id)
        except PermissionDenied:
            self.end(CLOSE_FORBIDDEN)
        except DatabaseError:
            logger.exception("Changing a message in room %s failed", self.room.pk)
            self.send_unavailable(client_id)
        return None

    async def read(self, request: ReadRequest) -> None:
        """Move the read position; when it moved, every socket of the person (this one too)
        hears `read`, published from here once the UPDATE committed (autocommit) so the
        database thread never waits on the channel layer; when it did not, nothing is sent."""
        assert self.room is not None
        try:
            moved_to = await on_database_thread(membership.move_read_position)(
                self.room, self.scope["user"], request.seq
            )
        except DatabaseError:
            logger.exception("Marking room %s read failed", self.room.pk)
            self.send_unavailable()
            return
        if moved_to is not None:
            tell_person_soon(self.user_id, membership.read_event(self.room.slug, moved_to))

    async def banned(self) -> bool:
        """Whether a ban is in force for the socket's person in its room, looked up again;
        it notes the mute that applies too. Before reading the room, so that a ban whose
        event was lost (the channel layer failed) still keeps the room from them."""
        assert self.room is not None
        restriction = await on_database_thread(services.restriction_of)(
            self.room, self.scope["user"]
        )
        if restriction is not None and restriction.kind == RoomBan.Kind.BAN:
            self.end(CLOSE_FORBIDDEN)
            return True
        self.restrict(restriction.kind if restriction else None, restriction and restriction.until)
        return False

    def handle_event(self, event: dict[str, Any]) -> None:
        match event["type"]:
            case "chat.restriction" if self.room and event["room_id"] == self.room.pk:
                frame = event["frame"]
                if frame["kind"] == RoomBan.Kind.BAN:
                    self.end(CLOSE_FORBIDDEN)
                    return
                until = frame["until"]
                self.restrict(frame["kind"], datetime.fromisoformat(until) if until else None)
                self.deliver(frames.encode(frame))
            case membership.READ_EVENT:
                self.deliver(event["frame"])  # already encoded; `rooms.changed` is not ours
            case "chat.room_state" if self.room is not None:
                # Locked or archived: the room is read-only, and typing stops (chat.presence).
                self.room.is_locked, self.room.is_archived = event["locked"], event["archived"]
                self.deliver(event["frame"])
            case _:
                super().handle_event(event)

    def restrict(self, kind: str | None, until: datetime | None) -> None:
        self.restriction_kind, self.restriction_until = kind, until

    def depart(self) -> None:
        """Leave the room's presence (once): at the close, whoever starts it."""
        if self.present and self.room is not None:
            self.present = False
            presence.get_presence().depart(self.room.pk, self.user_id)

    def close_soon(self, code: int, reason: str = "") -> None:
        """As every socket closes, and presence ends now, not when the client answers the
        close."""
        self.depart()
        super().close_soon(code, reason)

    def send_frame(self, frame: dict[str, Any]) -> None:
        self.deliver(frames.encode(frame))

    def send_error(self, code: str, detail: str, client_id: str | None = None) -> None:
        metrics.error_sent(code, client_id)
        self.send_frame(frames.error_frame(code, detail, client_id))

    def send_unavailable(self, client_id: str | None = None) -> None:
        detail = "The database is unavailable; nothing was saved. Retry with the same client_id."
        if client_id is None:
            detail = "The database is unavailable; try again shortly."
        self.send_error("unavailable", detail, client_id)
