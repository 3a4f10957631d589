"""What changes a room's counts without a new message reaches the my-rooms socket as
`room.recount`: a moderator hiding, restoring or deleting a message, its author deleting
it, or an edit that changes whom it mentions. An edit that mentions the same people says
nothing there (the room's own sockets hear every edit). And the counts the page then fetches
are right."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chat import services
from chat.models import Message, RoomMembership
from tests.conftest import send_and_ack, socket_for

pytestmark = pytest.mark.django_db(transaction=True)


async def rooms_socket(user):
    socket = await socket_for(user, "", path="/ws/rooms/")
    connected, code = await socket.connect(timeout=5)
    assert connected, code
    return socket


async def assert_recount(sidebar, slug: str) -> None:
    assert await sidebar.receive_json_from(timeout=5) == {"type": "room.recount", "room": slug}


def counts(user) -> tuple[int, int]:
    client = Client()
    client.force_login(user)
    [mine] = client.get("/api/rooms/").json()["rooms"]
    return mine["unread"], mine["mentions"]


async def test_moderation_and_deletions_tell_the_sidebar(alice, bob, room, connect, moderator):
    await database_sync_to_async(RoomMembership.objects.create)(user=alice, room=room)
    await database_sync_to_async(RoomMembership.objects.create)(user=bob, room=room)
    sidebar = await rooms_socket(alice)
    bobs = await connect(bob)
    for number in range(3):
        await send_and_ack(bobs, f"hi @alice {number}", f"m{number}")
    for _ in range(3):
        assert (await sidebar.receive_json_from(timeout=5))["type"] == "room.activity"
    first, second, third = await database_sync_to_async(
        lambda: list(Message.objects.order_by("seq"))
    )()
    assert await database_sync_to_async(counts)(alice) == (3, 3)

    await database_sync_to_async(services.hide_message)(first, moderator)
    await assert_recount(sidebar, "general")
    assert await database_sync_to_async(counts)(alice) == (2, 2)

    await database_sync_to_async(services.restore_message)(first, moderator)
    await assert_recount(sidebar, "general")
    assert await database_sync_to_async(counts)(alice) == (3, 3)

    await database_sync_to_async(services.delete_message)(second, moderator)
    await assert_recount(sidebar, "general")
    await database_sync_to_async(services.delete_own_message)(room, bob, third.pk)
    await assert_recount(sidebar, "general")
    assert await database_sync_to_async(counts)(alice) == (1, 1)
    await sidebar.disconnect()


async def test_an_edit_tells_the_sidebar_only_when_its_mentions_change(alice, bob, room, connect):
    await database_sync_to_async(RoomMembership.objects.create)(user=alice, room=room)
    await database_sync_to_async(RoomMembership.objects.create)(user=bob, room=room)
    sidebar = await rooms_socket(alice)
    ack = await send_and_ack(await connect(bob), "hello all", "e1")
    assert (await sidebar.receive_json_from(timeout=5))["type"] == "room.activity"

    edit = database_sync_to_async(services.edit_message)
    await edit(room, bob, ack["id"], "hello everyone")
    assert await sidebar.receive_nothing(timeout=0.5)
    assert await database_sync_to_async(counts)(alice) == (1, 0)

    await edit(room, bob, ack["id"], "hello @alice")
    await assert_recount(sidebar, "general")
    assert await database_sync_to_async(counts)(alice) == (1, 1)
    await sidebar.disconnect()
