"""around_seq: the page of L messages centred on seq N (N included), filled from the other
side near the room's ends, oldest first, with has_more_before and has_more_after; the same
over HTTP and in the socket's history frame."""

import pytest

from chat.models import Message
from tests.conftest import fill_room

pytestmark = pytest.mark.django_db

URL = "/api/rooms/general/messages/"


def around(client, seq: int, limit: int) -> dict:
    response = client.get(URL, {"around_seq": seq, "limit": limit})
    assert response.status_code == 200, response.content
    return response.json()


def seqs(page: dict) -> list[int]:
    return [message["seq"] for message in page["messages"]]


@pytest.fixture
def hundred(client, alice, room):
    fill_room(room, alice, 100)
    client.force_login(alice)
    return client


def test_deep_inside_the_page_is_centred(hundred):
    page = around(hundred, 50, 10)
    assert seqs(page) == list(range(46, 56))
    assert (page["has_more_before"], page["has_more_after"]) == (True, True)


def test_at_the_start_the_newer_side_fills_the_page(hundred):
    page = around(hundred, 2, 10)
    assert seqs(page) == list(range(1, 11))
    assert (page["has_more_before"], page["has_more_after"]) == (False, True)
    page = around(hundred, 1, 10)
    assert seqs(page) == list(range(1, 11))


def test_at_the_end_the_older_side_fills_the_page(hundred):
    page = around(hundred, 99, 10)
    assert seqs(page) == list(range(91, 101))
    assert (page["has_more_before"], page["has_more_after"]) == (True, False)
    page = around(hundred, 100, 10)
    assert seqs(page) == list(range(91, 101))
    assert page["has_more_after"] is False


def test_a_room_smaller_than_the_page_is_all_of_it(client, alice, room):
    fill_room(room, alice, 4)
    client.force_login(alice)
    page = around(client, 3, 10)
    assert seqs(page) == [1, 2, 3, 4]
    assert (page["has_more_before"], page["has_more_after"]) == (False, False)


def test_a_missing_seq_is_a_hole_the_page_is_centred_on(hundred):
    Message.objects.filter(seq=50).delete()
    page = around(hundred, 50, 4)
    assert seqs(page) == [48, 49, 51, 52]


def test_around_seq_with_another_bound_is_a_400(hundred):
    response = hundred.get(URL, {"around_seq": 5, "before_seq": 9})
    assert response.status_code == 400
    assert hundred.get(URL, {"around_seq": -1}).status_code == 400


@pytest.mark.django_db(transaction=True)
async def test_the_history_frame_answers_around_seq_alike(alice, room, connect):
    from asgiref.sync import sync_to_async

    await sync_to_async(fill_room)(room, alice, 30)
    socket = await connect(alice)
    await socket.send_json_to({"type": "history", "around_seq": 15, "limit": 6})
    frame = await socket.receive_json_from(timeout=5)
    assert frame["type"] == "history"
    assert [message["seq"] for message in frame["messages"]] == [13, 14, 15, 16, 17, 18]
    assert (frame["has_more_before"], frame["has_more_after"]) == (True, True)
    await socket.send_json_to({"type": "history", "around_seq": 15, "before_seq": 3})
    refused = await socket.receive_json_from(timeout=5)
    assert refused["type"] == "error" and refused["code"] == "bad_frame"


def test_the_room_page_opens_on_a_seq_and_ignores_a_bad_one(hundred):
    def initial(query: str) -> dict:
        response = hundred.get(f"/chat/general/{query}")
        assert response.status_code == 200
        return response.context["history"]

    assert [m["seq"] for m in initial("?seq=30")["messages"]] == list(range(6, 56))
    assert initial("?seq=30")["has_more_after"] is True
    for bad in ("?seq=abc", "?seq=-1", "?seq=99999999999999999999999", ""):
        assert [m["seq"] for m in initial(bad)["messages"]] == list(range(51, 101)), bad
