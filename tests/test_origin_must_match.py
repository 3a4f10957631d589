"""The socket's Origin must be the page's own origin, the same scheme, host and port as the
request came with (the scheme as the proxy saw it behind BEHIND_HTTPS_PROXY), or one listed
in CSRF_TRUSTED_ORIGINS. Anything else is refused at the handshake, over the whole ASGI app.
The same through the real server: tests/browser/test_foreign_origin_through_the_server.py."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from project.asgi import application
from tests.conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "127.0.0.1:8000"


async def handshake(
    user: User,
    origin: str | None,
    host: str = SITE,
    extra: Sequence[tuple[bytes, bytes]] = (),
    *,
    scheme: str = "ws",
) -> bool:
    """Whether the app accepts the socket (alice's session, room "general")."""
    headers = [(b"host", host.encode()), *extra]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, "/ws/chat/general/", headers=headers)
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected


async def test_the_pages_own_origin_is_accepted(alice, room):
    assert await handshake(alice, "http://127.0.0.1:8000")


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another port
        "https://127.0.0.1:8000",  # another scheme
        "https://127.0.0.1",  # another scheme and port
        "http://127.0.0.1",  # the default port, which is not this one
        "http://localhost:8000",  # another host, even one in ALLOWED_HOSTS
        "http://evil.example:8000",
        "null",  # sandboxed frames and file: pages
        "http://127.0.0.1:8000/chat/",  # not an origin
        "ftp://127.0.0.1:8000",
        "",
    ],
)
async def test_any_other_origin_is_refused(alice, room, origin):
    assert not await handshake(alice, origin)


async def test_a_missing_origin_is_refused(alice, room):
    assert not await handshake(alice, None)


async def test_two_origins_are_refused(alice, room):
    assert not await handshake(
        alice, "http://127.0.0.1:8000", extra=[(b"origin", b"http://evil.example")]
    )


async def test_a_host_outside_allowed_hosts_is_refused_even_from_its_own_origin(alice, room):
    assert not await handshake(alice, "http://evil.example:8000", host="evil.example:8000")


async def test_default_ports_match_whether_written_or_not(alice, room):
    assert await handshake(alice, "http://localhost", host="localhost:80")
    assert await handshake(alice, "https://localhost", host="localhost", scheme="wss")
    assert not await handshake(alice, "http://localhost", host="localhost", scheme="wss")


async def test_a_trusted_origin_is_accepted(alice, room, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.com", "https://*.parley.example"]
    assert await handshake(alice, "https://chat.example.com")
    assert await handshake(alice, "https://eu.parley.example")
    assert not await handshake(alice, "http://chat.example.com")
    assert not await handshake(alice, "https://chat.example.com:8443")
    assert not await handshake(alice, "https://parley.example.evil.example")


async def test_behind_a_proxy_the_forwarded_scheme_is_the_pages(alice, room, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    https = [(b"x-forwarded-proto", b"https")]
    assert await handshake(alice, "https://localhost", host="localhost", extra=https)
    assert not await handshake(alice, "http://localhost", host="localhost", extra=https)
    # Without the header, the scheme is the connection's own.
    assert await handshake(alice, "http://localhost", host="localhost")


async def test_the_forwarded_scheme_is_ignored_unless_behind_a_proxy(alice, room, settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    https = [(b"x-forwarded-proto", b"https")]
    assert not await handshake(alice, "https://localhost", host="localhost", extra=https)
    assert await handshake(alice, "http://localhost", host="localhost", extra=https)
