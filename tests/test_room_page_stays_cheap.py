"""Opening a room costs a fixed handful of queries, whatever the room holds, and reads the
person's bans and mutes there once: the ban check that lets them in also gives the page the
mute it shows (bench/pages.py, docs/performance.md "Nothing else got slower")."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import membership, services
from tests.conftest import fill_room

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured]


def test_the_room_page_reads_bans_once(client, alice, room):
    membership.join(room, alice)
    client.force_login(alice)
    fill_room(room, alice, 60)
    queries = queries_for(client, "/chat/general/")
    assert len([sql for sql in queries if '"chat_roomban"' in sql]) == 1
    # Session, user, room, bans, read position, the page of history.
    assert len(queries) == 6


def test_the_room_page_costs_the_same_for_a_long_history(client, alice, bob, room):
    membership.join(room, alice)
    client.force_login(alice)
    fill_room(room, bob, 60)  # more than a page (CHAT_PAGE_SIZE), as in a room in service
    page = len(queries_for(client, "/chat/general/"))
    fill_room(room, bob, 600)
    assert len(queries_for(client, "/chat/general/")) == page


def test_a_muted_member_sees_the_mute_on_the_room_page(client, charlie, moderator, room):
    services.restrict_user(room, charlie, "mute", moderator, reason="flooding")
    client.force_login(charlie)
    response = client.get("/chat/general/")
    assert response.status_code == 200
    assert response.context["restriction"] == {
        "type": "restriction",
        "kind": "mute",
        "until": None,
        "reason": "flooding",
    }
