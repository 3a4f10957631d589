"""A seq or a page size means the same on the socket and over HTTP: both call the plain
validators of chat/validators.py, so a value one refuses the other refuses with the same
words, and the same values pass."""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from chat.validators import MAX_SEQ, Invalid, parse_limit, parse_seq

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("value", [0, 1, MAX_SEQ])
def test_whole_numbers_in_range_are_seqs(value):
    assert parse_seq(value, "after_seq") == value


@pytest.mark.parametrize("value", [-1, MAX_SEQ + 1, True, 1.5, "5", None])
def test_anything_else_is_not_a_seq(value):
    with pytest.raises(Invalid, match='"after_seq" must be a whole number'):
        parse_seq(value, "after_seq")


def test_limit_defaults_and_caps(settings):
    assert parse_limit(None) == settings.CHAT_PAGE_SIZE
    assert parse_limit(1) == 1
    assert parse_limit(10_000) == settings.CHAT_MAX_PAGE_SIZE
    for bad in [0, -3, False, "50", 2.0]:
        with pytest.raises(Invalid, match='"limit" must be a whole number of at least 1'):
            parse_limit(bad)


def _api_error(user, query: dict[str, str]) -> dict:
    client = Client()
    client.force_login(user)
    response = client.get("/api/rooms/general/messages/", query)
    assert response.status_code == 400
    return response.json()


@pytest.mark.parametrize(
    ("frame", "query"),
    [
        ({"type": "resume", "after_seq": -1}, {"after_seq": "-1"}),
        ({"type": "resume", "after_seq": MAX_SEQ + 1}, {"after_seq": str(MAX_SEQ + 1)}),
        ({"type": "history", "before_seq": -5}, {"before_seq": "-5"}),
        ({"type": "history", "limit": 0}, {"limit": "0"}),
    ],
)
async def test_socket_and_api_refuse_the_same_value_in_the_same_words(
    alice, room, connect, frame, query
):
    socket = await connect(alice)
    await socket.send_json_to(frame)
    error = await socket.receive_json_from(timeout=5)
    answer = await sync_to_async(_api_error)(alice, query)
    assert (error["code"], answer["code"]) == ("bad_frame", "bad_request")
    assert error["detail"] == answer["detail"]
