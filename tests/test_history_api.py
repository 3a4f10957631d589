"""GET /api/rooms/<slug>/messages/: keyset pages oldest first, before_seq / after_seq,
limits, and JSON errors."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.models import Room
from tests.conftest import fill_room

pytestmark = pytest.mark.django_db

URL = "/api/rooms/general/messages/"


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def seqs(response) -> list[int]:
    return [message["seq"] for message in response.json()["messages"]]


def test_default_page_is_the_newest_fifty_oldest_first(signed_in, alice, room):
    fill_room(room, alice, 120)
    response = signed_in.get(URL)
    assert response.status_code == 200
    assert seqs(response) == list(range(71, 121))
    assert response.json()["has_more"] is True


def test_walking_back_with_before_seq_covers_every_message_once(signed_in, alice, room):
    fill_room(room, alice, 230)
    collected: list[int] = []
    before = None
    while True:
        query = {"limit": 60} if before is None else {"limit": 60, "before_seq": before}
        page = signed_in.get(URL, query).json()
        collected = [m["seq"] for m in page["messages"]] + collected
        if not page["has_more"]:
            break
        before = page["messages"][0]["seq"]
    assert collected == list(range(1, 231))


def test_after_seq_pages_forward(signed_in, alice, room):
    fill_room(room, alice, 30)
    response = signed_in.get(URL, {"after_seq": 25})
    assert seqs(response) == [26, 27, 28, 29, 30]
    assert response.json()["has_more"] is False
    response = signed_in.get(URL, {"after_seq": 0, "limit": 10})
    assert seqs(response) == list(range(1, 11))
    assert response.json()["has_more"] is True


def test_limit_is_capped_at_two_hundred(signed_in, alice, room):
    fill_room(room, alice, 250)
    assert len(seqs(signed_in.get(URL, {"limit": 1000}))) == 200


def test_message_objects_have_the_documented_fields(signed_in, alice, room):
    fill_room(room, alice, 1)
    message = signed_in.get(URL).json()["messages"][0]
    assert set(message) == {
        "id",
        "seq",
        "room",
        "author",
        "body",
        "created_at",
        "client_id",
        "edited_at",
        "mentions",
    }
    assert message["edited_at"] is None
    assert message["mentions"] == []
    assert message["room"] == "general"
    assert message["author"] == {"id": alice.id, "username": "alice"}
    assert message["created_at"].endswith("Z")


def test_a_deep_page_costs_one_keyset_query(signed_in, alice, room):
    fill_room(room, alice, 3000)
    with CaptureQueriesContext(connection) as queries:
        signed_in.get(URL, {"before_seq": 40, "limit": 20})
    history = [q["sql"] for q in queries if "chat_message" in q["sql"]]
    assert len(history) == 1
    assert '"chat_message"."seq" < 40' in history[0]
    assert "OFFSET" not in history[0].upper()


@pytest.mark.parametrize(
    "query",
    [
        {"before_seq": "abc"},
        {"before_seq": "-1"},
        {"after_seq": "1.5"},
        {"after_seq": ""},
        {"limit": "0"},
        {"limit": "ten"},
        {"before_seq": "5", "after_seq": "1"},
        {"after_seq": str(2**63)},
    ],
)
def test_bad_parameters_get_400_with_a_code(signed_in, room, query):
    response = signed_in.get(URL, query)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_unknown_room_is_404(signed_in):
    response = signed_in.get("/api/rooms/nowhere/messages/")
    assert (response.status_code, response.json()["code"]) == (404, "no_such_room")


def test_rooms_are_separate(signed_in, alice, room):
    other = Room.objects.create(name="Other", slug="other")
    fill_room(other, alice, 3)
    assert signed_in.get(URL).json() == {
        "messages": [],
        "has_more": False,
        "history_limited": False,
    }
