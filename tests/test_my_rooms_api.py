"""GET /api/rooms/: the signed-in person's rooms, most recent activity first, each with its
slug, name, last_seq, last_read_seq, unread, mentions and last_activity_at; 401 JSON for
nobody signed in; and one query for the rooms of a person in 500 of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import membership, services
from chat.models import Room, RoomMembership

pytestmark = pytest.mark.django_db

URL = "/api/rooms/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_rooms_come_most_recently_active_first_with_the_documented_fields(alice, bob, room):
    now = timezone.now()
    days_ago = [now - timedelta(days=days) for days in (0, 1, 2)]
    quiet = Room.objects.create(name="Quiet", slug="quiet", last_activity_at=days_ago[2])
    busy = Room.objects.create(name="Busy", slug="busy", last_activity_at=days_ago[1])
    Room.objects.create(name="Not mine", slug="not-mine")
    for place in (quiet, busy, room):
        membership.join(place, alice)
    membership.join(busy, bob)
    services.post_message(busy, bob, "hi @alice", "c1")  # busy is now the newest

    rooms = signed_in(alice).get(URL).json()["rooms"]
    assert [entry["slug"] for entry in rooms] == ["busy", "general", "quiet"]
    entry = rooms[0]
    assert set(entry) == {
        "slug",
        "name",
        "last_seq",
        "last_read_seq",
        "unread",
        "mentions",
        "last_activity_at",
    }
    busy.refresh_from_db()
    assert entry["name"] == "Busy"
    assert (entry["last_seq"], entry["last_read_seq"], entry["unread"], entry["mentions"]) == (
        1,
        0,
        1,
        1,
    )
    assert entry["last_activity_at"].endswith("Z")
    assert entry["last_activity_at"][:19] == busy.last_activity_at.isoformat()[:19]


def test_nobody_signed_in_gets_401_json(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_signed_in"


def test_a_person_in_no_room_gets_an_empty_list(alice, room):
    assert signed_in(alice).get(URL).json() == {"rooms": []}


def test_five_hundred_rooms_take_one_query(alice, bob):
    rooms = Room.objects.bulk_create(
        Room(name=f"Room {n}", slug=f"room-{n}", last_seq=10) for n in range(500)
    )
    RoomMembership.objects.bulk_create(
        RoomMembership(room=place, user=alice, last_read_seq=n % 10)
        for n, place in enumerate(rooms)
    )
    with CaptureQueriesContext(connection) as queries:
        payload = membership.my_rooms_payload(alice)
    assert len(queries.captured_queries) == 1
    assert len(payload["rooms"]) == 500

    client = signed_in(alice)
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(URL).json()["rooms"]) == 500
    # The session and the user, then the rooms.
    assert len(queries.captured_queries) <= 3
