"""GET /api/search/ on PostgreSQL: full-text search with English stems, "phrases", `or` and
`-word` (websearch_to_tsquery), newest first, each result a MSG with a highlight."""

import pytest

from chat import services

pytestmark = pytest.mark.django_db

URL = "/api/search/"


@pytest.fixture
def said(room, alice):
    def _said(*bodies: str) -> None:
        for n, body in enumerate(bodies):
            services.post_message(room, alice, body, f"s{room.last_seq}-{n}")
            room.refresh_from_db()

    return _said


def bodies(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [result["message"]["body"] for result in response.json()["results"]]


def test_a_word_finds_its_other_forms(client, alice, room, said):
    said("we deployed the release", "nothing to see", "deploying again tomorrow")
    client.force_login(alice)
    assert bodies(client.get(URL, {"q": "deploy", "room": "general"})) == [
        "deploying again tomorrow",
        "we deployed the release",
    ]


def test_a_quoted_phrase_needs_its_words_in_order(client, alice, room, said):
    said("the blue whale sings", "a whale, blue with cold", "blue whales everywhere")
    client.force_login(alice)
    assert bodies(client.get(URL, {"q": '"blue whale"'})) == [
        "blue whales everywhere",
        "the blue whale sings",
    ]


def test_minus_leaves_out_a_word_and_or_widens(client, alice, room, said):
    said("pizza tonight", "pizza with pineapple", "sushi tonight")
    client.force_login(alice)
    assert bodies(client.get(URL, {"q": "pizza -pineapple"})) == ["pizza tonight"]
    assert bodies(client.get(URL, {"q": "pineapple or sushi"})) == [
        "sushi tonight",
        "pizza with pineapple",
    ]


def test_a_result_is_the_message_with_its_match_marked(client, alice, room, said):
    said("lunch at noon?")
    client.force_login(alice)
    [result] = client.get(URL, {"q": "lunch"}).json()["results"]
    assert result["message"]["seq"] == 1
    assert result["message"]["room"] == "general"
    assert result["message"]["author"]["username"] == "alice"
    assert result["highlight"] == "<mark>lunch</mark> at noon?"


def test_a_bad_search_is_a_400_and_signed_out_a_401(client, alice, room):
    assert client.get(URL, {"q": "x"}).status_code == 401
    client.force_login(alice)
    for query in ({}, {"q": "   "}, {"q": "x" * 201}, {"q": "a\x00b"}, {"q": "x", "cursor": "z"}):
        response = client.get(URL, query)
        assert response.status_code == 400, query
        assert response.json()["code"] == "bad_request"
    for slug in ("nowhere", "a\x00b", "a b"):
        response = client.get(URL, {"q": "x", "room": slug})
        assert (response.status_code, response.json()["code"]) == (404, "no_such_room")
