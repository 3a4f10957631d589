"""History and resume return hidden messages as tombstones, so seq stays contiguous and the
body never leaves the server."""

import pytest

from chat import services
from tests.conftest import fill_room

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hidden(room, alice, moderator):
    fill_room(room, alice, 5)
    message = room.messages.get(seq=3)
    services.hide_message(message, moderator)
    return message


def test_history_api_returns_a_tombstone_in_place(client, alice, hidden):
    client.force_login(alice)
    messages = client.get("/api/rooms/general/messages/").json()["messages"]
    assert [m["seq"] for m in messages] == [1, 2, 3, 4, 5]
    assert messages[2] == {"id": hidden.pk, "seq": 3, "hidden": True}
    assert "m3" not in str(messages)


def test_room_page_history_has_the_tombstone(client, alice, hidden):
    client.force_login(alice)
    history = client.get("/chat/general/").context["history"]
    assert history["messages"][2] == {"id": hidden.pk, "seq": 3, "hidden": True}


async def test_resume_returns_the_tombstone(alice, hidden, connect):
    socket = await connect(alice)
    await socket.send_json_to({"type": "resume", "after_seq": 1})
    page = await socket.receive_json_from(timeout=5)
    assert [m["seq"] for m in page["messages"]] == [2, 3, 4, 5]
    assert page["messages"][1] == {"id": hidden.pk, "seq": 3, "hidden": True}
    assert (await socket.receive_json_from(timeout=5))["type"] == "resumed"


def test_restored_messages_come_back_whole(client, alice, moderator, hidden):
    services.restore_message(hidden, moderator)
    client.force_login(alice)
    messages = client.get("/api/rooms/general/messages/").json()["messages"]
    assert messages[2]["body"] == "m3"
