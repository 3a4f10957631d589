"""The moderation lists cost the same few queries however many rows they show, and never
count a whole table."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.models import Room
from tests.conftest import fill_room

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/chat/message/",
        "/admin/chat/message/?room=1",
        "/admin/chat/message/?hidden=no",
        "/admin/chat/message/?q=m1",
        "/admin/chat/room/",
    ],
)
def test_page_cost_does_not_grow_with_rows(client, moderator, alice, room, url):
    client.force_login(moderator)
    url = url.replace("room=1", f"room={room.pk}")
    fill_room(room, alice, 3)
    few = len(queries_for(client, url))
    fill_room(room, alice, 60)
    for n in range(5):
        fill_room(Room.objects.create(name=f"R{n}", slug=f"r{n}"), alice, 2)
    assert len(queries_for(client, url)) == few


def test_message_list_never_counts_the_whole_table(client, moderator, alice, room):
    client.force_login(moderator)
    fill_room(room, alice, 30)
    counts = [
        sql
        for sql in queries_for(client, "/admin/chat/message/?hidden=no")
        if "COUNT(" in sql.upper()
    ]
    assert counts, "the paginator should count, with a cap"
    assert all("LIMIT 10000" in sql.upper() for sql in counts)


def test_room_list_shows_message_counts_from_the_counter(client, moderator, alice, room):
    fill_room(room, alice, 7)
    client.force_login(moderator)
    response = client.get("/admin/chat/room/")
    assert response.context["cl"].result_list[0].message_count == 7
