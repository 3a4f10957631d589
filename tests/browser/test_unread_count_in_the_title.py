"""The tab's title counts what alice has not seen: messages that arrive while she reads
further up make it "(2) General · Parley"; going to the latest clears it. Scrolled up, the
log offers "Jump to latest" even before anything new arrives."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_title_counts_unseen_messages_and_clears_at_the_latest(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    for number in range(1, 41):
        services.post_message(room, bob, f"Earlier message {number}", f"seed-{number}")
    page = new_page(alice)
    open_room(page, room)
    expect(page).to_have_title("General · Parley")

    page.locator("#log-scroller").evaluate("s => { s.scrollTop = 0; }")
    jump = page.get_by_role("button", name="Jump to latest")
    expect(jump).to_be_visible()

    poster = new_page(bob)
    open_room(poster, room)
    send(poster, "one")
    send(poster, "two")
    expect(page).to_have_title("(2) General · Parley")
    # Something new below: the same button now says so.
    expect(page.get_by_role("button", name="New messages")).to_be_visible()
    expect(jump).to_have_count(0)

    # Alice's own message counts as read, and takes her to the latest.
    send(page, "catching up")
    expect(page).to_have_title("General · Parley")
    expect(page.get_by_role("button", name="New messages")).to_be_hidden()
    # Scroll up only once her message is in the log with its seq: until it is acked the page
    # may still take her down to it.
    expect(page.locator("#chat-log li[data-seq='43']")).to_be_in_viewport()

    page.locator("#log-scroller").evaluate("s => { s.scrollTop = 0; }")
    send(poster, "three")
    expect(page).to_have_title("(1) General · Parley")
    page.get_by_role("button", name="New messages").click()
    expect(page).to_have_title("General · Parley")
    expect(page.locator("#chat-log li[data-seq='44']")).to_be_in_viewport()
