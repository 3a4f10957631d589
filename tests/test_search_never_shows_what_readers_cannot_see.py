"""Search never returns hidden messages, messages their author deleted, or messages of a
room the searcher is banned from; a mute does not hide a room."""

import pytest

from chat import search, services
from chat.models import Room, RoomBan

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["newest", "index"], autouse=True)
def window(request, monkeypatch) -> None:
    """Each rule holds both where search checks the newest messages one by one and where,
    past them, the GIN index finds the matches (chat.search._full_text)."""
    if request.param == "index":
        monkeypatch.setattr(search, "RECENT_WINDOW", 1)


URL = "/api/search/"


def found(client, **query) -> list[str]:
    response = client.get(URL, {"q": "secret", **query})
    assert response.status_code == 200, response.content
    return [result["message"]["body"] for result in response.json()["results"]]


def test_hidden_and_deleted_messages_are_never_found(client, alice, bob, moderator, room):
    shown = services.post_message(room, alice, "secret one", "a").message
    hidden = services.post_message(room, alice, "secret two", "b").message
    deleted = services.post_message(room, alice, "secret three", "c").message
    services.hide_message(hidden, moderator)
    services.delete_own_message(room, alice, deleted.pk)
    client.force_login(bob)
    assert found(client) == [shown.body]
    assert found(client, room="general") == [shown.body]


def test_a_banned_room_is_left_out_and_a_muted_one_is_not(client, alice, bob, moderator, room):
    other = Room.objects.create(name="Other", slug="other", created_by=alice)
    third = Room.objects.create(name="Third", slug="third", created_by=alice)
    services.post_message(room, alice, "secret in general", "g")
    services.post_message(other, alice, "secret in other", "o")
    services.post_message(third, alice, "secret in third", "t")
    services.restrict_user(other, bob, RoomBan.Kind.BAN, moderator)
    services.restrict_user(third, bob, RoomBan.Kind.MUTE, moderator)
    client.force_login(bob)
    assert found(client) == ["secret in third", "secret in general"]
    response = client.get(URL, {"q": "secret", "room": "other"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    # Alice is not banned anywhere: she finds all three.
    client.force_login(alice)
    assert len(found(client)) == 3
