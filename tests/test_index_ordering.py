"""The index lists rooms most recently active first."""

import pytest

from chat import services
from chat.models import Room

pytestmark = pytest.mark.django_db


def test_rooms_are_listed_most_recently_active_first(client, alice):
    quiet = Room.objects.create(name="Quiet", slug="quiet")
    busy = Room.objects.create(name="Busy", slug="busy")
    newest = Room.objects.create(name="Newest", slug="newest")
    services.post_message(quiet, alice, "first", "q1")
    services.post_message(busy, alice, "hello", "b1")

    client.force_login(alice)
    response = client.get("/")

    assert list(response.context["rooms"]) == [busy, quiet, newest]
    html = response.content.decode()
    assert html.index("Busy") < html.index("Quiet") < html.index("Newest")
