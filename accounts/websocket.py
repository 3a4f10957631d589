"""Who is on a WebSocket: the Django session named by the handshake's cookie, and its user.

Channels' AuthMiddlewareStack does this in three layers, one of which wraps every frame the
socket sends to see whether the session needs saving. A socket never changes its session,
so this reads it once, at the handshake, in one trip to the database thread, and passes the
server's `send` through untouched. It puts `user` and `session_key` in the scope, and
`session_unavailable` when the database could not say (the consumer then refuses with 1013,
try again later, rather than calling the person signed out).
"""

from __future__ import annotations

import logging
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django.http import parse_cookie

logger = logging.getLogger(__name__)


# What a socket needs of its person, kept for as long as the socket is open; the rest of the
# row (the password hash, names, email) stays in the database: at ten thousand sockets, the
# full rows were a kibibyte a socket.
SOCKET_USER_FIELDS = ("id", "username", "is_active")


@database_sync_to_async
def user_of_session(session_key: str) -> Any:
    """The session's user (the session hash checked, as for a request), or AnonymousUser.
    The user carries SOCKET_USER_FIELDS only; others are deferred."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=session))
    if not user.is_authenticated:
        return user
    values = [getattr(user, field) for field in SOCKET_USER_FIELDS]
    return type(user).from_db(user._state.db, list(SOCKET_USER_FIELDS), values)


def session_key_of(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            return parse_cookie(value.decode("latin-1")).get(settings.SESSION_COOKIE_NAME)
    return None


class SessionAuthMiddleware:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        session_key = session_key_of(scope)
        user, unavailable = AnonymousUser(), False
        if session_key:
            try:
                user = await user_of_session(session_key)
            except DatabaseError as error:
                logger.warning("Session lookup failed (%r); the socket gets 1013", error)
                unavailable = True
        scope = {
            **scope,
            "user": user,
            "session_key": session_key,
            "session_unavailable": unavailable,
        }
        return await self.inner(scope, receive, send)
