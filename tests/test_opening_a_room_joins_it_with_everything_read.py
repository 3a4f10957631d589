"""Opening a room joins it: its page or its socket's admission makes the person a member with
`last_read_seq` at the room's `last_seq` (everything already there counts as read), tells
their sockets `rooms.changed` once committed, and never moves an existing member's position.
A banned person never becomes a member by trying."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import Client

from chat import services
from chat.broadcast import PEOPLE_GROUP
from chat.models import Room, RoomBan, RoomMembership
from tests.conftest import fill_room, socket_for

pytestmark = pytest.mark.django_db(transaction=True)


def position(user, room) -> int | None:
    return (
        RoomMembership.objects.filter(user=user, room=room)
        .values_list("last_read_seq", flat=True)
        .first()
    )


def open_page(user, slug: str = "general") -> int:
    client = Client()
    client.force_login(user)
    return client.get(f"/chat/{slug}/").status_code


def test_the_page_joins_with_everything_already_there_read(alice, bob, room):
    fill_room(room, alice, 7)
    assert position(bob, room) is None
    assert open_page(bob) == 200
    assert position(bob, room) == 7
    client = Client()
    client.force_login(bob)
    [entry] = client.get("/api/rooms/").json()["rooms"]
    assert (entry["slug"], entry["last_read_seq"], entry["unread"]) == ("general", 7, 0)


def test_opening_again_leaves_a_members_position_where_it_was(alice, bob, room):
    fill_room(room, alice, 3)
    open_page(bob)
    fill_room(room, alice, 4)  # now at 7; bob has read up to 3
    assert open_page(bob) == 200
    assert position(bob, room) == 3
    assert RoomMembership.objects.filter(user=bob).count() == 1


async def test_the_socket_joins_too(alice, bob, room, connect):
    await database_sync_to_async(fill_room)(room, alice, 5)
    await connect(bob)
    assert await database_sync_to_async(position)(bob, room) == 5


async def test_a_banned_person_is_refused_and_not_made_a_member(alice, bob, room, moderator):
    await database_sync_to_async(services.restrict_user)(room, bob, RoomBan.Kind.BAN, moderator)
    assert await database_sync_to_async(open_page)(bob) == 403
    socket = await socket_for(bob, "general")
    connected, _ = await socket.connect(timeout=5)
    assert connected
    assert (await socket.receive_output(timeout=5))["code"] == 4403
    assert await database_sync_to_async(position)(bob, room) is None


async def test_joining_tells_the_persons_sockets_rooms_changed_once(alice, bob, room):
    """Heard on the channel layer, where every process's hub hears it: one person event for
    bob, carrying the encoded `rooms.changed` frame; a second opening announces nothing."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(PEOPLE_GROUP, channel)
    try:
        assert await database_sync_to_async(open_page)(bob) == 200
        event = await asyncio.wait_for(layer.receive(channel), 5)
        assert event["type"] == "chat.rooms_changed"
        assert event["user_id"] == bob.pk
        assert event["frame"] == '{"type":"rooms.changed"}'
        assert await database_sync_to_async(open_page)(bob) == 200
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(channel), 1)
    finally:
        await layer.group_discard(PEOPLE_GROUP, channel)


async def test_a_socket_that_joins_announces_it_too(alice, bob, room, connect):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(PEOPLE_GROUP, channel)
    try:
        await connect(bob)
        event = await asyncio.wait_for(layer.receive(channel), 5)
        assert (event["type"], event["user_id"]) == ("chat.rooms_changed", bob.pk)
        await connect(bob)  # a second tab: a member already
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(channel), 1)
    finally:
        await layer.group_discard(PEOPLE_GROUP, channel)


def test_the_page_says_where_the_person_had_read_up_to(alice, bob, room):
    """For the page's "new messages" line: the position before this visit."""
    fill_room(room, alice, 3)
    client = Client()
    client.force_login(bob)
    assert client.get("/chat/general/").context["last_read_seq"] == 3  # newcomer: all read
    fill_room(room, alice, 4)
    page = client.get("/chat/general/")
    assert page.context["last_read_seq"] == 3
    assert '<script id="last-read-seq" type="application/json">3</script>' in page.content.decode()


async def test_room_sockets_are_not_told_rooms_changed(alice, bob, room, connect):
    """`rooms.changed` is for the `/ws/rooms/` sockets; a room socket never gets it."""
    await database_sync_to_async(Room.objects.create)(name="Random", slug="random")
    socket = await connect(bob)
    assert await database_sync_to_async(open_page)(bob, "random") == 200
    assert await socket.receive_nothing(timeout=1)
