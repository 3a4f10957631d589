"""Through the real server (daphne, as deployed): a socket whose Origin differs from the
page's only by port, or only by scheme, has its handshake refused with HTTP 403; the page's
own origin is accepted. The rules in full: tests/test_origin_must_match.py."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from accounts.models import User
from chat.models import Room
from tests.browser.server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)


def open_socket(server: LiveServer, user: User, room: Room, origin: str):
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    url = f"ws://127.0.0.1:{server.port}/ws/chat/{room.slug}/"
    return connect(
        url, origin=Origin(origin), additional_headers={"Cookie": cookie}, open_timeout=10
    )


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{other}", "https://127.0.0.1:{port}"])
def test_a_foreign_port_or_scheme_is_refused_at_the_handshake(
    server: LiveServer, alice: User, room: Room, origin: str
) -> None:
    foreign = origin.format(port=server.port, other=server.port + 1)
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server, alice, room, foreign)
    assert refused.value.response.status_code == 403


def test_the_pages_own_origin_is_accepted(server: LiveServer, alice: User, room: Room) -> None:
    with open_socket(server, alice, room, server.url) as socket:
        assert '"presence"' in socket.recv(timeout=10)  # the first frame of an open socket
        socket.send('{"type": "resume", "after_seq": 0}')
        assert '"resumed"' in socket.recv(timeout=10)
