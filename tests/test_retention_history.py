"""After retention deleted a room's oldest messages, walking back through history ends with
has_more false and history_limited true: the client can say that older history expired."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.retention import prune_messages
from tests.retention_support import add_messages, add_old_messages

pytestmark = pytest.mark.django_db

URL = "/api/rooms/general/messages/"


def walk_back(client) -> tuple[list[int], dict]:
    """Every seq the API gives walking back from the newest page, and the last page."""
    seqs: list[int] = []
    query: dict = {"limit": 4}
    while True:
        page = client.get(URL, query).json()
        seqs = [message["seq"] for message in page["messages"]] + seqs
        if not page["has_more"]:
            return seqs, page
        query = {"limit": 4, "before_seq": page["messages"][0]["seq"]}


@pytest.fixture
def room_with_old_history(settings, alice, room):
    settings.CHAT_RETENTION_DAYS = 30
    now = timezone.now()
    add_old_messages(room, alice, now, 9, timedelta(days=31))
    add_messages(room, alice, now, *(timedelta(hours=10 - n) for n in range(10)))
    return room


def test_walking_back_after_a_prune_ends_with_history_limited(client, alice, room_with_old_history):
    client.force_login(alice)
    assert prune_messages().deleted == {"general": 9}
    seqs, last_page = walk_back(client)
    assert seqs == list(range(10, 20))
    assert last_page["has_more"] is False
    assert last_page["history_limited"] is True


def test_history_is_not_limited_before_anything_expired(client, alice, room_with_old_history):
    client.force_login(alice)
    seqs, last_page = walk_back(client)
    assert seqs == list(range(1, 20))
    assert last_page["history_limited"] is False


def test_only_the_oldest_page_says_history_is_limited(client, alice, room_with_old_history):
    client.force_login(alice)
    prune_messages()
    newest = client.get(URL, {"limit": 4}).json()
    assert newest["has_more"] is True
    assert newest["history_limited"] is False
