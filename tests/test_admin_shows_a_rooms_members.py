"""A room's admin page shows who is in it: the count and the first names, with a link to the
read-only list of its members (filtered by room), which moderators may open. Both cost the
same few queries for 3 members or 1,000."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from chat.models import Room, RoomMembership

pytestmark = pytest.mark.django_db


def add_members(room: Room, count: int, start: int = 0) -> None:
    users = User.objects.bulk_create(
        User(username=f"member{n:04}", email=f"m{n}@example.com")
        for n in range(start, start + count)
    )
    RoomMembership.objects.bulk_create(RoomMembership(room=room, user=user) for user in users)


def get(client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


def test_the_room_page_names_its_members_and_links_to_all_of_them(client, moderator, room):
    other = Room.objects.create(name="Other", slug="other")
    add_members(room, 3)
    add_members(other, 2, start=100)
    client.force_login(moderator)
    change = f"/admin/chat/room/{room.pk}/change/"
    page, few = get(client, change)
    assert "3 (member0000, member0001, member0002)" in page
    link = f"/admin/chat/roommembership/?room={room.pk}"
    assert link in page

    listing, listed_few = get(client, link)
    assert "member0002" in listing and "member0100" not in listing
    assert "Add room membership" not in listing  # read-only

    add_members(room, 997, start=1000)
    page, many = get(client, change)
    assert "1000 (member0000" in page and "…" in page
    assert many == few
    listing, listed_many = get(client, link)
    assert listed_many == listed_few


def test_memberships_cannot_be_changed_in_the_admin(client, moderator, room):
    add_members(room, 1)
    membership = RoomMembership.objects.get()
    client.force_login(moderator)
    assert client.get(f"/admin/chat/roommembership/{membership.pk}/change/").status_code == 200
    client.post(f"/admin/chat/roommembership/{membership.pk}/change/", {"last_read_seq": 99})
    assert RoomMembership.objects.get().last_read_seq == 0
    response = client.post(f"/admin/chat/roommembership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert RoomMembership.objects.exists()
