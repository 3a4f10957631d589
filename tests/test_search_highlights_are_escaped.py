"""A highlight is HTML made safe: the body's text escaped, with only <mark> added, so a body
full of markup comes back as text."""

import pytest

from chat import services

pytestmark = pytest.mark.django_db


def highlight(client, query: str) -> str:
    [result] = client.get("/api/search/", {"q": query}).json()["results"]
    return result["highlight"]


def test_markup_in_a_body_comes_back_as_text(client, alice, room):
    services.post_message(room, alice, 'look <img src=x onerror="alert(1)"> here', "x")
    client.force_login(alice)
    assert (
        highlight(client, "look")
        == "<mark>look</mark> &lt;img src=x onerror=&quot;alert(1)&quot;&gt; here"
    )


def test_a_body_cannot_forge_the_markers(client, alice, room):
    # The private-use characters the database marks matches with are taken out first.
    services.post_message(room, alice, "\ue000<script>\ue001\ue002 marker test", "y")
    client.force_login(alice)
    html = highlight(client, "marker")
    assert html == "&lt;script&gt; <mark>marker</mark> test"
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0
