"""The room page opens on the latest 50 messages, handed to the page through json_script,
and they are exactly the API's first page."""

import json
import re

import pytest

from chat import services
from tests.conftest import fill_room

pytestmark = pytest.mark.django_db


def initial_history(html: str) -> dict:
    match = re.search(r'<script id="initial-history" type="application/json">(.*?)</script>', html)
    assert match, "the room page has no initial-history json_script"
    return json.loads(match.group(1))


def test_room_page_shows_the_latest_fifty_messages(client, alice, room):
    fill_room(room, alice, 75)
    client.force_login(alice)
    history = initial_history(client.get("/chat/general/").content.decode())
    assert [m["seq"] for m in history["messages"]] == list(range(26, 76))
    assert history["has_more"] is True


def test_room_page_and_api_agree(client, alice, room):
    fill_room(room, alice, 60)
    client.force_login(alice)
    page = initial_history(client.get("/chat/general/").content.decode())
    assert page == client.get("/api/rooms/general/messages/?limit=50").json()


def test_hostile_bodies_are_escaped_in_the_page(client, alice, room):
    services.post_message(room, alice, "</script><script>alert(1)</script>", "x1")
    client.force_login(alice)
    html = client.get("/chat/general/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert initial_history(html)["messages"][0]["body"] == "</script><script>alert(1)</script>"
