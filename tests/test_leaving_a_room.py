""" "Leave room" (POST /chat/<slug>/leave/, a form with CSRF, on the room page) ends the
membership, takes the room off GET /api/rooms/ and goes to the index; it tells the person's
`/ws/rooms/` sockets `rooms.changed`. Opening the room again joins again, with everything
there counted as read."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import Client

from chat.broadcast import PEOPLE_GROUP
from chat.models import RoomMembership
from tests.conftest import fill_room

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def my_slugs(client: Client) -> list[str]:
    return [entry["slug"] for entry in client.get("/api/rooms/").json()["rooms"]]


def test_leaving_ends_the_membership_and_opening_joins_again(alice, bob, room):
    client = signed_in(bob)
    page = client.get("/chat/general/").content.decode()
    assert 'action="/chat/general/leave/"' in page and "Leave room" in page
    assert my_slugs(client) == ["general"]

    response = client.post("/chat/general/leave/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert my_slugs(client) == []
    assert not RoomMembership.objects.filter(user=bob).exists()

    fill_room(room, alice, 4)
    client.get("/chat/general/")
    assert RoomMembership.objects.get(user=bob).last_read_seq == 4


def test_leaving_needs_a_post_with_the_csrf_token(bob, room):
    client = signed_in(bob, enforce_csrf_checks=True)
    page = client.get("/chat/general/").content.decode()
    assert client.get("/chat/general/leave/").status_code == 405
    assert client.post("/chat/general/leave/").status_code == 403
    assert RoomMembership.objects.filter(user=bob).exists()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert client.post("/chat/general/leave/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert not RoomMembership.objects.filter(user=bob).exists()


def test_no_such_room_is_404_and_signed_out_goes_to_sign_in(bob):
    assert signed_in(bob).post("/chat/nowhere/leave/").status_code == 404
    assert Client().post("/chat/nowhere/leave/").status_code == 302


async def test_leaving_tells_the_persons_sockets_rooms_changed(bob, room):
    client = await database_sync_to_async(signed_in)(bob)
    await database_sync_to_async(client.get)("/chat/general/")
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(PEOPLE_GROUP, channel)
    try:
        await database_sync_to_async(client.post)("/chat/general/leave/")
        event = await asyncio.wait_for(layer.receive(channel), 5)
        assert (event["type"], event["user_id"]) == ("chat.rooms_changed", bob.pk)
        assert event["frame"] == '{"type":"rooms.changed"}'
        # Leaving a room one is not in announces nothing.
        await database_sync_to_async(client.post)("/chat/general/leave/")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(channel), 1)
    finally:
        await layer.group_discard(PEOPLE_GROUP, channel)
