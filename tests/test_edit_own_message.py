"""message.edit: only the author, within CHAT_EDIT_WINDOW_SECONDS, under the send's body rules,
never while muted, banned or in a read-only room, never a hidden message; acked like a send,
broadcast as message.edited, the earlier body kept and the edit on record."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from chat import services
from chat.models import Message, RoomBan
from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)


async def next_of_type(socket, kind: str) -> dict:
    while (frame := await socket.receive_json_from(timeout=5))["type"] != kind:
        pass
    return frame


async def edit(socket, message_id: int, body: str, client_id: str) -> dict:
    await socket.send_json_to(
        {"type": "message.edit", "id": message_id, "body": body, "client_id": client_id}
    )
    return await send_and_ack_answer(socket, client_id)


async def send_and_ack_answer(socket, client_id: str) -> dict:
    while True:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] in {"ack", "error"} and frame["client_id"] == client_id:
            return frame


async def test_an_edit_is_acked_broadcast_kept_and_recorded(alice, bob, room, connect):
    author = await connect(alice)
    reader = await connect(bob)
    sent = await send_and_ack(author, "helo world", "m1")
    await next_of_type(reader, "message")

    ack = await edit(author, sent["id"], "  hello world  ", "e1")
    assert ack == {"type": "ack", "client_id": "e1", "id": sent["id"], "seq": sent["seq"]}
    edited = await next_of_type(reader, "message.edited")
    assert edited["message"]["body"] == "hello world"
    assert edited["message"]["seq"] == sent["seq"]
    assert edited["message"]["edited_at"] is not None

    message = await database_sync_to_async(Message.objects.get)(pk=sent["id"])
    assert message.body == "hello world"
    revisions = await database_sync_to_async(list)(message.revisions.values_list("body", "reason"))
    assert revisions == [("helo world", "edit")]
    logged = await database_sync_to_async(
        LogEntry.objects.filter(object_id=str(message.pk), user=alice).exists
    )()
    assert logged
    # History, too, has the new body.
    page = await database_sync_to_async(services.history_before)(room, None, 10)
    assert [m.body for m in page.messages] == ["hello world"]


async def test_the_same_body_again_is_acked_and_changes_nothing(alice, room, connect):
    author = await connect(alice)
    sent = await send_and_ack(author, "once", "m1")
    assert (await edit(author, sent["id"], "once", "e1"))["type"] == "ack"
    count = await database_sync_to_async(
        lambda: Message.objects.get(pk=sent["id"]).revisions.count()
    )()
    assert count == 0


async def test_only_the_author_may_edit(alice, bob, room, connect):
    author = await connect(alice)
    other = await connect(bob)
    sent = await send_and_ack(author, "mine", "m1")
    refused = await edit(other, sent["id"], "yours now", "e1")
    assert refused["code"] == "not_yours"
    missing = await edit(other, sent["id"] + 1000, "nothing", "e2")
    assert missing["code"] == "not_found"


async def test_too_late_after_the_window_and_never_with_a_zero_window(
    alice, room, connect, settings
):
    author = await connect(alice)
    sent = await send_and_ack(author, "old news", "m1")
    await database_sync_to_async(Message.objects.filter(pk=sent["id"]).update)(
        created_at=timezone.now() - timedelta(seconds=901)
    )
    assert (await edit(author, sent["id"], "new news", "e1"))["code"] == "too_late"
    fresh = await send_and_ack(author, "fresh", "m2")
    settings.CHAT_EDIT_WINDOW_SECONDS = 0
    assert (await edit(author, fresh["id"], "fresher", "e2"))["code"] == "too_late"


async def test_body_rules_are_the_sends(alice, room, connect, settings):
    author = await connect(alice)
    sent = await send_and_ack(author, "text", "m1")
    assert (await edit(author, sent["id"], " \u200b ", "e1"))["code"] == "empty"
    settings.CHAT_MAX_MESSAGE_CHARS = 5
    assert (await edit(author, sent["id"], "toolong", "e2"))["code"] == "too_long"


async def test_mute_lock_and_hide_refuse_and_ban_disconnects(alice, room, moderator, connect):
    author = await connect(alice)
    sent = await send_and_ack(author, "text", "m1")
    message = await database_sync_to_async(Message.objects.get)(pk=sent["id"])

    await database_sync_to_async(services.set_room_state)(room, moderator, locked=True)
    assert (await edit(author, sent["id"], "t2", "e1"))["code"] == "room_locked"
    await database_sync_to_async(services.set_room_state)(room, moderator, locked=False)

    mute = await database_sync_to_async(services.restrict_user)(
        room, alice, RoomBan.Kind.MUTE, moderator
    )
    assert (await edit(author, sent["id"], "t3", "e2"))["code"] == "muted"
    await database_sync_to_async(services.lift_restriction)(mute, moderator)

    await database_sync_to_async(services.hide_message)(message, moderator)
    assert (await edit(author, sent["id"], "t4", "e3"))["code"] == "not_found"
    await database_sync_to_async(services.restore_message)(message, moderator)

    await database_sync_to_async(services.restrict_user)(room, alice, RoomBan.Kind.BAN, moderator)
    # The ban's own event may close the socket first; either way the edit is not saved.
    await author.send_json_to(
        {"type": "message.edit", "id": sent["id"], "body": "t5", "client_id": "e4"}
    )
    while (frame := await author.receive_output(timeout=5))["type"] != "websocket.close":
        pass
    assert frame["code"] == 4403
    stored = await database_sync_to_async(Message.objects.get)(pk=sent["id"])
    assert stored.body == "text"


async def test_malformed_edits_and_deletes_are_bad_frames(alice, room, connect):
    socket = await connect(alice)
    for frame, client_id in [
        ({"type": "message.edit", "id": 1, "body": "x"}, None),
        ({"type": "message.edit", "id": "1", "body": "x", "client_id": "e1"}, "e1"),
        ({"type": "message.edit", "id": True, "body": "x", "client_id": "e2"}, "e2"),
        ({"type": "message.edit", "id": 1, "body": 5, "client_id": "e3"}, "e3"),
        ({"type": "message.delete", "id": 0}, None),
        ({"type": "message.delete", "id": 1, "client_id": "no spaces"}, None),
    ]:
        await socket.send_json_to(frame)
        answer = await socket.receive_json_from(timeout=5)
        assert (answer["type"], answer["code"], answer["client_id"]) == (
            "error",
            "bad_frame",
            client_id,
        ), frame
