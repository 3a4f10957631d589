"""The log follows the conversation only when the person is at its end: someone reading
further up is left where they are and offered a button to jump to the new messages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCROLL_TOP = "() => document.getElementById('log-scroller').scrollTop"
FROM_BOTTOM = """() => {
    const s = document.getElementById("log-scroller");
    return s.scrollHeight - s.scrollTop - s.clientHeight;
}"""


def test_new_messages_follow_at_the_bottom_and_wait_behind_a_pill_above(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    for number in range(1, 41):
        services.post_message(room, bob, f"Earlier message {number}", f"seed-{number}")
    page = new_page(alice)
    open_room(page, room)
    other = new_page(bob)
    open_room(other, room)
    pill = page.get_by_role("button", name="New messages")

    # At the bottom: a new message scrolls into view by itself.
    send(other, "while you were at the bottom")
    expect(page.locator("#chat-log li[data-seq='41']")).to_be_in_viewport()
    assert page.evaluate(FROM_BOTTOM) <= 2
    expect(pill).to_be_hidden()

    # Reading further up: the view stays put and the pill appears.
    page.locator("#log-scroller").evaluate("s => { s.scrollTop = s.scrollHeight / 2; }")
    reading_at = page.evaluate(SCROLL_TOP)
    send(other, "while you were reading above")
    expect(pill).to_be_visible()
    expect(page.locator("#chat-log li[data-seq='42']")).to_be_attached()
    expect(page.locator("#chat-log li[data-seq='42']")).not_to_be_in_viewport()
    assert page.evaluate(SCROLL_TOP) == reading_at

    pill.click()
    expect(page.locator("#chat-log li[data-seq='42']")).to_be_in_viewport()
    expect(pill).to_be_hidden()
    assert page.evaluate(FROM_BOTTOM) <= 2
