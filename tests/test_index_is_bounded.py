"""The index never lists the whole room table: the CHAT_INDEX_ROOMS most recently active
rooms, a note that there are more, and a search box that finds any other room by name."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import Room

pytestmark = pytest.mark.django_db

MANY = 600


@pytest.fixture
def many_rooms(alice) -> None:
    now = timezone.now()
    Room.objects.bulk_create(
        Room(
            name=f"Room {n:04}",
            slug=f"room-{n:04}",
            created_by=alice,
            last_activity_at=now - timedelta(minutes=n),
        )
        for n in range(MANY)
    )


def test_the_index_shows_a_bounded_page_of_the_most_active_rooms(
    client, alice, many_rooms, settings
):
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    shown = settings.CHAT_INDEX_ROOMS
    rooms = response.context["rooms"]
    assert [room.slug for room in rooms] == [f"room-{n:04}" for n in range(shown)]
    html = response.content.decode()
    assert html.count('class="room-name"') == shown
    assert "search to find others" in html
    # Bounded: the page does not grow with the table, and no query reads it all.
    assert len(html) < 40_000
    assert all("LIMIT" in query["sql"] for query in queries if '"chat_room"' in query["sql"])


def test_search_finds_a_room_beyond_the_first_page(client, alice, many_rooms):
    client.force_login(alice)
    assert "Room 0599" not in client.get("/").content.decode()
    response = client.get("/", {"q": "room 0599"})
    assert [room.slug for room in response.context["rooms"]] == ["room-0599"]
    assert "search to find others" not in response.content.decode()


def test_search_with_no_match_says_so(client, alice, many_rooms):
    client.force_login(alice)
    response = client.get("/", {"q": "nothing like it"})
    assert response.context["rooms"] == []
    assert "No room has" in response.content.decode()


def test_search_text_no_room_name_can_hold_is_ignored(client, alice, many_rooms, settings):
    client.force_login(alice)
    response = client.get("/", {"q": "a\x00b"})
    assert response.status_code == 200
    assert len(response.context["rooms"]) == settings.CHAT_INDEX_ROOMS
