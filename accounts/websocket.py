"""Who is on a WebSocket: the Django session named by the handshake's cookie, and its user.

Channels' AuthMiddlewareStack does this in three layers, one of which wraps every frame the
socket sends to see whether the session needs saving. A socket never changes its session,
so this reads it once, at the handshake, in one trip to the database thread, and passes the
server's `send` through untouched. It puts `user` and `session_key` in the scope.
"""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.http import parse_cookie


@database_sync_to_async
def user_of_session(session_key: str) -> Any:
    """The session's user (the session hash checked, as for a request), or AnonymousUser."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return get_user(SimpleNamespace(session=session))


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
        user = await user_of_session(session_key) if session_key else AnonymousUser()
        scope = {**scope, "user": user, "session_key": session_key}
        return await self.inner(scope, receive, send)
