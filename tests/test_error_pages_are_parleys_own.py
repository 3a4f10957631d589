"""403, 404 and 500 answer with pages in Parley's layout (its stylesheet, its header, a way
back to the rooms), not Django's bare ones; the page of a room that does not exist offers to
create it, and the offer works."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from chat.models import Room, RoomBan

pytestmark = pytest.mark.django_db


def assert_in_layout(html: str) -> None:
    assert "/static/css/parley.css" in html
    assert 'class="site-header"' in html
    assert '<main id="main"' in html
    assert 'href="/">Go to the rooms</a>' in html or 'href="/">See the rooms' in html


def test_an_unknown_address_is_a_404_page_in_the_layout(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_in_layout(html)
    assert "<h1>Page not found</h1>" in html


def test_an_unknown_room_offers_to_create_it_and_the_offer_works(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    response = client.get("/chat/tea-room/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_in_layout(html)
    assert 'There is no room “<span dir="auto">tea-room</span>” yet' in html
    assert 'action="/"' in html and 'name="csrfmiddlewaretoken"' in html
    assert 'value="tea room"' in html

    created = client.post("/", {"name": "tea room"})
    assert created.url == "/chat/tea-room/"
    assert Room.objects.get(slug="tea-room").created_by == alice
    assert client.get("/chat/tea-room/").status_code == 200


def test_a_room_whose_words_do_not_come_back_suggests_its_address(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    # "a-b-" cannot be a slug, but "caf\u00e9" can: its words, with spaces, slugify back.
    html = client.get("/chat/caf%C3%A9-au-lait/").content.decode()
    assert 'value="café au lait"' in html


def test_a_banned_person_gets_a_403_page_that_says_why(client: Client, alice: User) -> None:
    room = Room.objects.create(name="Closed", slug="closed", created_by=alice)
    RoomBan.objects.create(room=room, user=alice, kind=RoomBan.Kind.BAN)
    client.force_login(alice)
    response = client.get("/chat/closed/")
    assert response.status_code == 403
    html = response.content.decode()
    assert_in_layout(html)
    assert "You are banned from this room." in html


def test_a_server_error_is_a_500_page_in_the_layout() -> None:
    # The view fails on purpose (tests/urls.py); the client returns the 500 page instead
    # of raising, as a browser would get it.
    response = Client(raise_request_exception=False).get("/test/server-error/")
    assert response.status_code == 500
    html = response.content.decode()
    assert_in_layout(html)
    assert "Something went wrong on our side" in html
    # Rendered without the request, so it claims nothing about who is signed in.
    assert "Log in" not in html and "Log out" not in html
