"""Reading a room in one tab clears its badge in alice's other tab: the page sends `read`
once the newest message is in view, and the server tells every socket of hers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reading_in_one_tab_clears_the_badge_in_the_other(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    index = new_page(alice)
    open_room(index, room)  # a member now, everything read
    index.goto("/")
    entry = index.locator("nav.my-rooms li[data-room='general']")
    expect(entry).to_be_visible()
    expect(entry.locator(".badge")).to_have_count(0)

    poster = new_page(bob)
    open_room(poster, room)
    send(poster, "first news")
    send(poster, "second news")
    expect(entry.locator(".badge.unread")).to_have_text("2")
    expect(index).to_have_title("Rooms · Parley")  # the index's title counts nothing

    # The same person, another tab: the two messages are in view, so they are read.
    reader = index.context.new_page()
    open_room(reader, room)
    expect(reader.locator("#chat-log li[data-seq='2']")).to_be_in_viewport()
    expect(entry.locator(".badge")).to_have_count(0)
    expect(entry.get_by_role("link")).to_have_accessible_name("General")

    # And it stays read: a fresh page of the list agrees with the live one.
    index.reload()
    expect(index.locator("nav.my-rooms li[data-room='general']")).to_be_visible()
    expect(index.locator("nav.my-rooms li[data-room='general'] .badge")).to_have_count(0)
