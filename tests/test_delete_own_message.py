"""message.delete: the author only, no window; broadcast as message.deleted; history keeps a
tombstone {"id", "seq", "deleted": true} in its place; the body is kept for moderators and
the deletion is on record; mute, ban and read-only rooms refuse it."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.admin.models import LogEntry

from chat import services
from chat.models import Message, RoomBan
from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)


async def next_of_type(socket, kind: str) -> dict:
    while (frame := await socket.receive_json_from(timeout=5))["type"] != kind:
        pass
    return frame


async def test_a_delete_reaches_others_and_leaves_a_tombstone(alice, bob, room, connect, client):
    author = await connect(alice)
    reader = await connect(bob)
    sent = await send_and_ack(author, "oops, wrong room", "m1")
    await send_and_ack(author, "still here", "m2")
    await next_of_type(reader, "message")

    await author.send_json_to({"type": "message.delete", "id": sent["id"]})
    assert await next_of_type(reader, "message.deleted") == {
        "type": "message.deleted",
        "id": sent["id"],
        "seq": sent["seq"],
        "tombstone": True,
    }
    await database_sync_to_async(client.force_login)(bob)
    history = (await database_sync_to_async(client.get)("/api/rooms/general/messages/")).json()
    assert history["messages"][0] == {"id": sent["id"], "seq": sent["seq"], "deleted": True}
    assert history["messages"][1]["body"] == "still here"

    message = await database_sync_to_async(Message.objects.get)(pk=sent["id"])
    assert message.body == ""
    kept = await database_sync_to_async(list)(message.revisions.values_list("body", "reason"))
    assert kept == [("oops, wrong room", "delete")]
    assert await database_sync_to_async(
        LogEntry.objects.filter(object_id=str(message.pk), user=alice).exists
    )()


async def test_only_the_author_and_only_once(alice, bob, room, connect):
    author = await connect(alice)
    other = await connect(bob)
    sent = await send_and_ack(author, "mine", "m1")
    await other.send_json_to({"type": "message.delete", "id": sent["id"], "client_id": "d1"})
    refused = await next_of_type(other, "error")
    assert (refused["code"], refused["client_id"]) == ("not_yours", "d1")
    await author.send_json_to({"type": "message.delete", "id": sent["id"]})
    await next_of_type(author, "message.deleted")
    await author.send_json_to({"type": "message.delete", "id": sent["id"]})
    assert (await next_of_type(author, "error"))["code"] == "not_found"


async def test_mute_and_lock_refuse_a_delete(alice, room, moderator, connect):
    author = await connect(alice)
    sent = await send_and_ack(author, "text", "m1")
    mute = await database_sync_to_async(services.restrict_user)(
        room, alice, RoomBan.Kind.MUTE, moderator
    )
    await author.send_json_to({"type": "message.delete", "id": sent["id"]})
    assert (await next_of_type(author, "error"))["code"] == "muted"
    await database_sync_to_async(services.lift_restriction)(mute, moderator)
    await database_sync_to_async(services.set_room_state)(room, moderator, archived=True)
    await author.send_json_to({"type": "message.delete", "id": sent["id"]})
    assert (await next_of_type(author, "error"))["code"] == "room_locked"
    stored = await database_sync_to_async(Message.objects.get)(pk=sent["id"])
    assert stored.deleted_at is None


async def test_a_banned_author_cannot_delete(alice, room, moderator):
    message = await database_sync_to_async(services.post_message)(room, alice, "text", "m1")
    await database_sync_to_async(services.restrict_user)(room, alice, RoomBan.Kind.BAN, moderator)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        await database_sync_to_async(services.delete_own_message)(room, alice, message.message.pk)
