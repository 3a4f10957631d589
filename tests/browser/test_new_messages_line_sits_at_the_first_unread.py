"""The "New messages" line: alice reads General, scrolls up, and bob posts two messages she
does not see; after a reload the line sits right above the first of them. Having seen them
now, she finds no line on the next reload."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The element after the line, whatever it is.
AFTER_LINE = "() => document.getElementById('unread-line')?.nextElementSibling?.dataset.seq"


def test_the_line_sits_above_the_first_message_not_seen(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    for number in range(1, 41):
        services.post_message(room, bob, f"Earlier message {number}", f"seed-{number}")
    page = new_page(alice)
    open_room(page, room)
    # Opening the room made her a member with everything read: no line.
    expect(page.locator("#unread-line")).to_have_count(0)

    page.locator("#log-scroller").evaluate("s => { s.scrollTop = 0; }")
    poster = new_page(bob)
    open_room(poster, room)
    send(poster, "you missed this")
    send(poster, "and this")
    expect(page.locator("#chat-log li[data-seq='42']")).to_be_attached()
    expect(page.locator("#chat-log li[data-seq='42']")).not_to_be_in_viewport()

    page.reload()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "connected")
    line = page.locator("#unread-line")
    expect(line).to_have_text("New messages")
    assert page.evaluate(AFTER_LINE) == "41"
    expect(line).to_be_in_viewport()

    # Both are in view now, so they are read: the next visit has no line.
    expect(page.locator("#chat-log li[data-seq='42']")).to_be_in_viewport()
    page.wait_for_timeout(2_500)  # one read frame per 2 s at most
    page.reload()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "connected")
    expect(page.locator("#chat-log li[data-seq='42']")).to_be_attached()
    expect(page.locator("#unread-line")).to_have_count(0)


def test_the_line_moves_up_when_earlier_unread_messages_load(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    page = new_page(alice)
    open_room(page, room)
    page.goto("/")
    # More unread than one page holds (the page shows the newest 50).
    for number in range(1, 71):
        services.post_message(room, bob, f"While away {number}", f"away-{number}")
    page.goto(room.get_absolute_url())
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "connected")
    # The page opens on the line above the first unread message it has (seq 21 of the
    # newest page of 50); the top of the log is near, so the earlier page loads, and the
    # line moves up to seq 1.
    expect(page.locator("#unread-line")).to_be_attached()
    page.locator("#log-scroller").evaluate("s => { s.scrollTop = 0; }")
    expect(page.locator("#chat-log li[data-seq='1']")).to_be_attached()
    page.wait_for_function(f"() => ({AFTER_LINE})() === '1'")
    expect(page.locator("#unread-line")).to_have_count(1)
