"""POST / with a name opens the room: created when new, joined when its slug exists."""

import pytest

from chat.models import Room

pytestmark = pytest.mark.django_db


def test_new_name_creates_a_room_and_redirects_to_it(client, alice):
    client.force_login(alice)
    response = client.post("/", {"name": "  Book Club  "})
    assert response.status_code == 302
    assert response.url == "/chat/book-club/"
    room = Room.objects.get(slug="book-club")
    assert (room.name, room.created_by) == ("Book Club", alice)


def test_name_with_an_existing_slug_joins_that_room(client, alice, bob):
    Room.objects.create(name="Book Club", slug="book-club", created_by=alice)
    client.force_login(bob)
    response = client.post("/", {"name": "book club!"})
    assert response.url == "/chat/book-club/"
    assert Room.objects.count() == 1


def test_unicode_names_keep_their_letters(client, alice):
    client.force_login(alice)
    response = client.post("/", {"name": "Café Zürich"})
    assert Room.objects.get().slug == "café-zürich"
    assert client.get(response.url).status_code == 200


@pytest.mark.parametrize("name", ["!!!", "   ", "-- --", ""])
def test_name_without_letters_or_digits_gets_a_form_error(client, alice, name):
    client.force_login(alice)
    response = client.post("/", {"name": name})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Room.objects.exists()


def test_unknown_room_page_is_404(client, alice):
    client.force_login(alice)
    assert client.get("/chat/nowhere/").status_code == 404
