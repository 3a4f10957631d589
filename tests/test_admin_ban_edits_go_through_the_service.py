"""Editing a ban or mute in the admin, on its own page or in the room's inline, goes through
chat.services like adding one: the moderator's permission is checked, the service records
its LogEntry, and the person's open sockets hear at once (a `restriction` frame, or 4403 for
a mute turned into a ban). Staff without the permission change nothing."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.exceptions import PermissionDenied
from django.test import Client

from accounts.models import User
from chat import services
from chat.models import Room, RoomBan

pytestmark = pytest.mark.django_db(transaction=True)

UNTIL = {"until_0": "2030-01-01", "until_1": "10:00:00"}


@pytest.fixture
def bobs_mute(room: Room, bob: User, moderator: User) -> RoomBan:
    return services.restrict_user(room, bob, "mute", moderator, reason="spam")


def edit_on_its_page(editor: User, ban: RoomBan, **fields: str) -> int:
    client = Client()
    client.force_login(editor)
    data = {"room": ban.room_id, "user": ban.user_id, "kind": ban.kind, "reason": ban.reason}
    response = client.post(f"/admin/chat/roomban/{ban.pk}/change/", {**data, **fields})
    return response.status_code


def edit_in_the_room_inline(editor: User, ban: RoomBan, **fields: str) -> int:
    client = Client()
    client.force_login(editor)
    row = {"id": ban.pk, "room": ban.room_id, "user": ban.user_id, "kind": ban.kind}
    data = {
        "name": ban.room.name,
        "retention_days": "",
        "bans-TOTAL_FORMS": "1",
        "bans-INITIAL_FORMS": "1",
        **{f"bans-0-{name}": value for name, value in {**row, **fields}.items()},
    }
    response = client.post(f"/admin/chat/room/{ban.room_id}/change/", data)
    return response.status_code


def service_entries(ban: RoomBan) -> list[tuple[str, str]]:
    return list(
        LogEntry.objects.filter(
            content_type__model="roomban", object_id=str(ban.pk), action_flag=CHANGE
        ).values_list("user__username", "change_message")
    )


async def next_frame(socket) -> dict:
    while (frame := await socket.receive_json_from(timeout=5))["type"] != "restriction":
        pass
    return frame


@pytest.mark.parametrize("edit", [edit_on_its_page, edit_in_the_room_inline])
async def test_a_moderator_editing_a_mute_is_recorded_and_reaches_the_socket(
    bob, moderator, bobs_mute, connect, edit
):
    socket = await connect(bob)

    status = await sync_to_async(edit)(moderator, bobs_mute, reason="cool off", **UNTIL)

    assert status == 302
    assert await next_frame(socket) == {
        "type": "restriction",
        "kind": "mute",
        "until": "2030-01-01T10:00:00Z",
        "reason": "cool off",
    }
    assert ("maude", "Changed: until 2030-01-01T10:00:00Z; reason: cool off.") in (
        await sync_to_async(service_entries)(bobs_mute)
    )


async def test_a_mute_turned_into_a_ban_closes_the_sockets_with_4403(
    bob, moderator, bobs_mute, connect
):
    socket = await connect(bob)
    assert await sync_to_async(edit_on_its_page)(moderator, bobs_mute, kind="ban") == 302
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    assert ("maude", "Changed: now a ban.") in await sync_to_async(service_entries)(bobs_mute)


async def test_staff_without_the_permission_cannot_edit(bob, plain_staff, bobs_mute, connect):
    socket = await connect(bob)
    for edit in (edit_on_its_page, edit_in_the_room_inline):
        status = await sync_to_async(edit)(plain_staff, bobs_mute, reason="x", **UNTIL)
        assert status == 403
    stored = await RoomBan.objects.aget(pk=bobs_mute.pk)
    assert (stored.reason, stored.until) == ("spam", None)
    assert await sync_to_async(service_entries)(bobs_mute) == []
    assert await socket.receive_nothing(timeout=0.5)


def test_the_service_refuses_whoever_may_not_change_bans(plain_staff, bobs_mute):
    with pytest.raises(PermissionDenied):
        services.change_restriction(bobs_mute, plain_staff, kind="ban", reason="", until=None)
    bobs_mute.refresh_from_db()
    assert bobs_mute.kind == "mute"


def test_an_edit_cannot_move_a_ban_to_someone_else(moderator, charlie, bobs_mute):
    edit_on_its_page(moderator, bobs_mute, user=str(charlie.pk), reason="other")
    bobs_mute.refresh_from_db()
    assert (bobs_mute.user.username, bobs_mute.reason) == ("bob", "other")


def test_an_edit_that_changes_nothing_records_nothing(moderator, bobs_mute):
    assert edit_on_its_page(moderator, bobs_mute, until_0="", until_1="") == 302
    assert service_entries(bobs_mute) == []


def test_lifting_from_the_admin_is_recorded_once_by_the_service(client, moderator, bobs_mute):
    client.force_login(moderator)
    response = client.post(f"/admin/chat/roomban/{bobs_mute.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not RoomBan.objects.exists()
    assert list(
        LogEntry.objects.filter(content_type__model="roomban")
        .order_by("pk")
        .values_list("action_flag", "change_message")
    ) == [
        (ADDITION, "Mute (can read, cannot send): spam."),
        (DELETION, "Lifted: Mute of bob in General."),
    ]
