"""A ban whose live event never reached the socket (the channel layer dropped it) still
keeps the room from the banned person: `resume` and `history` look for a ban before reading,
and close the socket with 4403 instead of answering."""

import pytest
from channels.db import database_sync_to_async

from chat.models import RoomBan

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "request_frame",
    [{"type": "resume", "after_seq": 0}, {"type": "history", "before_seq": None, "limit": 10}],
)
async def test_a_ban_with_no_event_closes_the_socket_at_its_next_read(
    bob, moderator, room, connect, request_frame
):
    socket = await connect(bob)
    # Written straight to the table: no event goes out, as when a publish is lost.
    await database_sync_to_async(RoomBan.objects.create)(
        room=room, user=bob, kind=RoomBan.Kind.BAN, created_by=moderator
    )

    await socket.send_json_to(request_frame)

    closed = await socket.receive_output(timeout=5)
    assert (closed["type"], closed["code"]) == ("websocket.close", 4403)
