"""Opening rooms is limited per person: at most COUNT new rooms per window
(CHAT_ROOM_CREATE_LIMIT) and CHAT_ROOMS_PER_USER in all. The room over the limit is refused
with an error in the index form and not created; joining existing rooms is never limited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Room
from project.env import Rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_an_hour(settings):
    settings.CHAT_ROOM_CREATE_LIMIT = Rate(3, 3600)
    settings.CHAT_ROOMS_PER_USER = 0


def open_room(client, name: str):
    return client.post("/", {"name": name})


def test_the_room_over_the_rate_is_refused_with_a_form_error(client, alice, three_an_hour):
    client.force_login(alice)
    for number in range(3):
        assert open_room(client, f"Room {number}").status_code == 302

    response = open_room(client, "One too many")

    assert response.status_code == 200
    [error] = response.context["form"].errors["name"]
    assert error.replace("\xa0", " ") == "You can create 3 rooms per hour; try again in 59 minutes."
    assert error in response.content.decode()
    assert not Room.objects.filter(slug="one-too-many").exists()
    assert Room.objects.count() == 3


def test_joining_an_existing_room_is_not_limited(client, alice, bob, three_an_hour):
    Room.objects.create(name="Lobby", slug="lobby", created_by=bob)
    client.force_login(alice)
    for number in range(3):
        open_room(client, f"Room {number}")
    assert open_room(client, "lobby").url == "/chat/lobby/"


def test_the_limit_is_per_person(client, alice, bob, three_an_hour):
    client.force_login(alice)
    for number in range(3):
        open_room(client, f"Alice {number}")
    client.force_login(bob)
    assert open_room(client, "Bob's room").status_code == 302


def test_rooms_older_than_the_window_no_longer_count(client, alice, three_an_hour):
    client.force_login(alice)
    for number in range(3):
        open_room(client, f"Room {number}")
    Room.objects.update(created_at=timezone.now() - timedelta(seconds=3601))
    assert open_room(client, "Next hour").status_code == 302


def test_the_total_cap_refuses_the_next_room(client, alice, settings):
    settings.CHAT_ROOM_CREATE_LIMIT = None
    settings.CHAT_ROOMS_PER_USER = 2
    client.force_login(alice)
    open_room(client, "One")
    open_room(client, "Two")
    Room.objects.update(created_at=timezone.now() - timedelta(days=365))

    response = open_room(client, "Three")

    assert response.context["form"].errors["name"] == [
        "You have created 2 rooms, as many as one person may."
    ]
    assert Room.objects.count() == 2


def test_zero_turns_both_limits_off(client, alice, settings):
    settings.CHAT_ROOM_CREATE_LIMIT = None
    settings.CHAT_ROOMS_PER_USER = 0
    client.force_login(alice)
    for number in range(12):
        assert open_room(client, f"Room {number}").status_code == 302
    assert Room.objects.count() == 12
