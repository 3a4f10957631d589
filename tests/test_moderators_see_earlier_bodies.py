"""Moderators read, on a message's admin page, every body its author's edits replaced and the
body a deletion emptied, oldest first and escaped; readers never see them."""

import pytest

from chat import services

pytestmark = pytest.mark.django_db


def test_the_message_page_lists_earlier_bodies_escaped(client, moderator, alice, room):
    message = services.post_message(room, alice, "first <i>draft</i>", "c1").message
    services.edit_message(room, alice, message.pk, "second draft")
    services.edit_message(room, alice, message.pk, "final words")
    services.delete_own_message(room, alice, message.pk)
    client.force_login(moderator)
    page = client.get(f"/admin/chat/message/{message.pk}/change/").content.decode()
    first = page.index("first &lt;i&gt;draft&lt;/i&gt;")
    second = page.index("second draft")
    final = page.index("final words")
    assert first < second < final
    assert "<i>draft</i>" not in page
    assert page.count("<li>Edited at") == 2 and page.count("<li>Deleted at") == 1

    client.force_login(alice)
    history = client.get("/api/rooms/general/messages/").json()
    assert history["messages"] == [{"id": message.pk, "seq": 1, "deleted": True}]
