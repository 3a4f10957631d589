"""GET /api/rooms/<slug>/members/?q=<prefix>: the room's members whose username starts with
the prefix, ignoring case, by username, at most 20, as USER objects (for `@` autocomplete);
404 for no such room, 403 for a banned person, 401 for nobody signed in."""

from __future__ import annotations

import pytest
from django.test import Client

from chat import membership, services
from chat.models import Room, RoomBan

pytestmark = pytest.mark.django_db

URL = "/api/rooms/general/members/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_members_by_prefix_ignoring_case_by_username(alice, bob, charlie, room, django_user_model):
    albert = django_user_model.objects.create_user("Albert", "al@example.com", "pw-albert-1")
    for person in (alice, bob, albert):
        membership.join(room, person)
    other = Room.objects.create(name="Other", slug="other")
    membership.join(other, charlie)  # a member elsewhere only

    client = signed_in(alice)
    assert client.get(URL, {"q": "AL"}).json() == {
        "members": [
            {"id": albert.pk, "username": "Albert"},
            {"id": alice.pk, "username": "alice"},
        ]
    }
    everyone = client.get(URL).json()["members"]
    assert [member["username"] for member in everyone] == ["Albert", "alice", "bob"]
    assert client.get(URL, {"q": "c"}).json() == {"members": []}
    assert client.get(URL, {"q": "%"}).json() == {"members": []}  # no wildcards
    assert client.get(URL, {"q": "_"}).json() == {"members": []}


def test_at_most_twenty(alice, room, django_user_model):
    for n in range(25):
        person = django_user_model.objects.create_user(f"user{n:02}", f"u{n}@example.com", "pw-1x")
        membership.join(room, person)
    members = signed_in(alice).get(URL, {"q": "user"}).json()["members"]
    assert [member["username"] for member in members] == [f"user{n:02}" for n in range(20)]


def test_404_403_and_signed_out(alice, bob, room, moderator):
    assert signed_in(alice).get("/api/rooms/nowhere/members/").status_code == 404
    services.restrict_user(room, bob, RoomBan.Kind.BAN, moderator)
    refused = signed_in(bob).get(URL)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert Client().get(URL).status_code == 401
