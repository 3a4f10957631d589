"""Search pages newest first: `next` is a cursor for the following (older) page, null on the
last; walking the cursors yields every match exactly once, whether the matches are found
among the newest messages or, past that window, through the index."""

import pytest

from chat import search, services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("window", [search.RECENT_WINDOW, 4])
def test_walking_the_cursor_yields_every_match_once(client, alice, room, monkeypatch, window):
    monkeypatch.setattr(search, "RECENT_WINDOW", window)
    for n in range(1, 26):
        body = f"report number {n}" if n % 5 else f"unrelated {n}"
        services.post_message(room, alice, body, f"c{n}")
    client.force_login(alice)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = {"q": "report", "room": "general", "limit": 7}
        if cursor:
            query["cursor"] = cursor
        answer = client.get("/api/search/", query).json()
        seen += [result["message"]["seq"] for result in answer["results"]]
        pages += 1
        cursor = answer["next"]
        if cursor is None:
            break
    expected = [n for n in range(25, 0, -1) if n % 5]
    assert seen == expected
    assert pages == 3
