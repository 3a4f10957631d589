"""Logging: one line per event, saying which request, person and room it was about.

Each HTTP request and each WebSocket gets a request id (the proxy's `X-Request-ID` when it
sends a sane one, nginx's `$request_id` in docs/nginx.conf.template; a fresh one otherwise). The
id, the client's address, and for a room socket its user id and room slug live in context
variables for as long as the request or socket runs; `ContextFilter` copies them onto every
log record made meanwhile, including on the database thread (asgiref carries context
variables over). With LOG_FORMAT=json they become fields of the JSON line; in the plain
format they follow the message as `key=value`.

What is never logged: message bodies (the chat's event lines carry seq and client_id only),
cookies and headers, query strings, and the keys in password-reset and email-confirmation
paths.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
client_var: ContextVar[str | None] = ContextVar("client", default=None)
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)
room_var: ContextVar[str | None] = ContextVar("room", default=None)

CONTEXT: tuple[tuple[str, ContextVar[Any]], ...] = (
    ("request_id", request_id_var),
    ("client", client_var),
    ("user_id", user_id_var),
    ("room", room_var),
)

# A proxy's id is taken only if it looks like one: it ends up in every log line.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Paths whose last part is a secret (allauth's password-reset and email-confirmation keys).
SECRET_PATH = re.compile(r"^(/accounts/(?:password/reset/key|confirm-email)/)[^/]+")

access_logger = logging.getLogger("parley.access")
socket_logger = logging.getLogger("parley.socket")


class ContextFilter(logging.Filter):
    """Adds the request's context to each record (as attributes for the JSON formatter, and
    as `record.context`, a ` key=value` suffix, for the plain one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        parts = []
        for name, variable in CONTEXT:
            value = getattr(record, name, None)
            if value is None:
                value = variable.get()
                if value is not None:
                    setattr(record, name, value)
            if value is not None:
                parts.append(f"{name}={value}")
        record.context = " " + " ".join(parts) if parts else ""
        return True


class WithoutServerSocketLines(logging.Filter):
    """Drops uvicorn's lines for a socket accepted, opened and closed: `parley.socket` logs
    each of those events once, with who and which room (a refused handshake, 403, stays)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in {"connection open", "connection closed"}:
            return False
        return not (isinstance(record.msg, str) and record.msg.endswith('" [accepted]'))


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def loggable_path(path: str) -> str:
    return SECRET_PATH.sub(r"\1[redacted]", path)


class RequestContext:
    """ASGI middleware: the request id and client address for everything the request or
    socket logs, `X-Request-ID` on HTTP responses, and one access line per HTTP request."""

    # A plain callable that returns a coroutine is ASGI 3 all the same; say so, since
    # asgiref (and uvicorn) would otherwise take it for ASGI 2.
    _asgi_single_callable = True

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: a socket is handed on, not awaited here, so it holds no frame of
        # this middleware for its lifetime. The server calls this in the task that then runs
        # what it returns, so the variables set here stay with that request or socket.
        if scope["type"] not in {"http", "websocket"}:
            return self.app(scope, receive, send)
        request_id = request_id_of(scope)
        request_id_var.set(request_id)
        client = scope.get("client")
        client_var.set(client[0] if client else None)
        if scope["type"] == "websocket":
            return self.app(scope, receive, send)
        return self.logged(scope, receive, send, request_id)

    async def logged(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:

        started = time.monotonic()
        status = 500  # if the app fails before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            milliseconds = round((time.monotonic() - started) * 1000, 1)
            path = loggable_path(scope["path"])
            access_logger.info(
                "%s %s %s %sms",
                scope["method"],
                path,
                status,
                milliseconds,
                extra={
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": milliseconds,
                },
            )


class SocketEvents:
    """ASGI middleware around the room socket (after authentication and routing): the user
    and room for its log lines, one line when it opens or is refused and one when it closes,
    and the open-sockets gauge and server-close counts of chat/metrics.py.

    A socket counts as open once the consumer's connect handler has finished with it
    accepted and not closed: Channels asks for the next ASGI message only after handling the
    previous one, so the second `receive` marks that moment. Refusals (accepted, then closed
    at once with the code of docs/protocol.md) are one `socket refused` line.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Not at the top: settings' LOGGING imports this module, and prometheus_client must
        # not be imported before project/serve.py has chosen its directory.
        from chat import metrics

        user = scope.get("user")
        user_id_var.set(user.pk if user is not None and user.is_authenticated else None)
        room_var.set(scope.get("url_route", {}).get("kwargs", {}).get("slug"))
        accepted = opened = False
        closed_by_server: int | None = None
        started = 0.0
        receives = 0

        async def sending(message: Message) -> None:
            nonlocal accepted, closed_by_server
            if message["type"] == "websocket.accept":
                accepted = True
            elif message["type"] == "websocket.close" and closed_by_server is None:
                closed_by_server = message.get("code") or 1000
                metrics.closed_by_server(closed_by_server)
            await send(message)

        # Room frames may skip this wrapper (it only watches accept and close): the hub's
        # fast path writes through the server's own send (chat/broadcast.py direct_writer).
        sending.__wrapped__ = send  # type: ignore[attr-defined]

        async def receiving() -> Message:
            nonlocal receives, opened, started
            receives += 1
            if receives == 2:  # the connect handler is done
                if accepted and closed_by_server is None:
                    opened, started = True, time.monotonic()
                    metrics.socket_opened()
                    socket_logger.info("socket opened")
                elif closed_by_server is not None:
                    socket_logger.info(
                        "socket refused code=%s", closed_by_server, extra={"code": closed_by_server}
                    )
            message = await receive()
            if message["type"] == "websocket.disconnect" and opened:
                opened = False
                metrics.socket_closed()
                code = closed_by_server or message.get("code") or 1005
                seconds = round(time.monotonic() - started, 1)
                # 1012 comes from the server itself, shutting down (project/websocket.py).
                by = "server" if closed_by_server or code == 1012 else "client"
                socket_logger.info(
                    "socket closed code=%s by=%s after %ss",
                    code,
                    by,
                    seconds,
                    extra={"code": code, "by": by, "seconds": seconds},
                )
            return message

        try:
            await self.app(scope, receiving, sending)
        finally:
            if opened:
                # The app ended before reading the disconnect: a write found the socket gone
                # (the client vanished, or the server closed it with 1012 on SIGTERM).
                metrics.socket_closed()
                seconds = round(time.monotonic() - started, 1)
                socket_logger.info(
                    "socket closed during a write after %ss", seconds, extra={"seconds": seconds}
                )
