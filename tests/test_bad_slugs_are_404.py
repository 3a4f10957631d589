"""A room slug no room can have (a NUL byte, a space, a dot) is a 404 on every HTTP route,
refused by the URL converter before any query: never a 500 from the database."""

import pytest

pytestmark = pytest.mark.django_db

BAD_SLUGS = ["a%00b", "%00", "a%20b", "a.b", "x" * 101]


@pytest.mark.parametrize("slug", BAD_SLUGS)
def test_room_page_with_a_bad_slug_is_404(client, alice, room, slug):
    client.force_login(alice)
    assert client.get(f"/chat/{slug}/").status_code == 404


@pytest.mark.parametrize("slug", BAD_SLUGS)
def test_history_api_with_a_bad_slug_is_a_json_404(client, alice, room, slug):
    client.force_login(alice)
    response = client.get(f"/api/rooms/{slug}/messages/")
    assert response.status_code == 404
    assert response.json()["code"] == "no_such_room"


def test_anonymous_requests_with_a_nul_slug_are_404_too(client):
    assert client.get("/chat/a%00b/").status_code == 404
    assert client.get("/api/rooms/a%00b/messages/").status_code == 404


def test_unicode_slugs_still_route(client, alice):
    client.force_login(alice)
    response = client.post("/", {"name": "Café Zürich"})
    assert response.url == "/chat/caf%C3%A9-z%C3%BCrich/"
    assert client.get(response.url).status_code == 200
    assert client.get("/api/rooms/café-zürich/messages/").status_code == 200


def test_other_api_paths_are_json_404s(client, alice):
    client.force_login(alice)
    response = client.get("/api/nothing-here/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
