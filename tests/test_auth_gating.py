"""Anonymous people are sent to the login page, and refused on sockets and the API."""

import pytest
from django.urls import reverse

from tests.conftest import socket_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_anonymous_index_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_anonymous_room_page_redirects_to_login(client, room):
    response = client.get("/chat/general/")
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next=/chat/general/"


def test_anonymous_api_gets_json_401(client, room):
    response = client.get("/api/rooms/general/messages/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_signed_in"


async def test_anonymous_socket_is_accepted_then_closed_with_4401(room):
    communicator = await socket_for(None, "general")
    connected, _ = await communicator.connect()
    assert connected
    closed = await communicator.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 4401}


async def test_socket_to_unknown_room_closes_with_4404(alice):
    communicator = await socket_for(alice, "nowhere")
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4404}


async def test_foreign_origin_is_refused_at_the_handshake(alice, room):
    communicator = await socket_for(alice, "general", origin=b"http://evil.example")
    connected, _ = await communicator.connect()
    assert not connected


async def test_signed_in_socket_is_accepted_and_stays_open(alice, room, connect):
    communicator = await connect(alice)
    assert await communicator.receive_nothing(timeout=0.3)
