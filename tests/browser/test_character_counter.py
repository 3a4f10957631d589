"""The composer counts characters as the server does (code points of the trimmed text) and
shows the count as the text nears the limit (4,000): how many are left, then how many too
many, with the box marked invalid and Send refusing; back at the limit, it sends."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings

from accounts.models import User
from chat.models import Message, Room
from tests.browser.support import Page, expect, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_count_warns_near_the_limit_and_holds_back_text_over_it(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    limit = settings.CHAT_MAX_MESSAGE_CHARS
    assert limit == 4000
    page = new_page(alice)
    open_room(page, room)
    box = page.get_by_label("Message", exact=True)
    count = page.locator("#composer-count")

    box.fill("a" * 3500)
    expect(count).to_be_hidden()

    box.fill("a" * 3700)
    expect(count).to_have_text("300 characters left")
    expect(box).not_to_have_attribute("aria-invalid", "true")
    # Read with the box, as part of its description.
    assert "composer-count" in box.get_attribute("aria-describedby")

    # Pasted past the limit: kept whole (no maxlength cuts it), counted, and not sent.
    box.fill("a" * 4005)
    assert len(box.input_value()) == 4005
    expect(count).to_have_text("5 characters over the limit of 4000")
    expect(box).to_have_attribute("aria-invalid", "true")
    box.press("Enter")
    page.wait_for_timeout(300)  # a window for a wrong send to show up, not an assertion
    expect(page.locator("#chat-log li")).to_have_count(0)
    expect(page.locator("#live-status")).to_contain_text("Not sent")

    # An emoji is one character to the server, though two UTF-16 units to the page; the
    # spaces around the text are trimmed and not counted.
    box.fill("  " + "a" * (limit - 1) + "😀  ")
    expect(count).to_have_text("0 characters left")
    expect(box).not_to_have_attribute("aria-invalid", "true")
    box.press("Enter")
    expect(page.locator("#chat-log li[data-seq='1']")).to_be_attached()
    expect(count).to_be_hidden()
    assert Message.objects.get(room=room, seq=1).body == "a" * (limit - 1) + "😀"
