"""Searching from the room page: the results show the match marked, and choosing one opens
the room on that message, in context (older and newer messages around it), highlighted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Message, Room
from tests.browser.support import Page, expect, log_seqs, wait_connected
from tests.conftest import fill_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_result_opens_the_message_in_context_highlighted(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    fill_room(room, alice, 300)
    Message.objects.filter(room=room, seq=40).update(body="the <b>quarterly</b> numbers")
    page = new_page(alice)
    page.goto(room.get_absolute_url())
    wait_connected(page)

    page.get_by_role("searchbox", name="Search messages").fill("quarterly")
    page.get_by_role("button", name="Search", exact=True).click()
    result = page.locator("#search-results .results a")
    expect(result).to_have_count(1)
    expect(result.locator("mark")).to_have_text("quarterly")
    # The body's markup is text in the result, as everywhere.
    expect(result.locator(".snippet")).to_have_text("the <b>quarterly</b> numbers")
    expect(result.locator("b")).to_have_count(0)

    result.click()
    expect(page).to_have_url(f"{room.get_absolute_url()}?seq=40")
    wait_connected(page)
    target = page.locator("#chat-log li[data-seq='40']")
    expect(target).to_have_class("msg own target")
    expect(target).to_be_in_viewport()
    expect(target).to_be_focused()
    seqs = log_seqs(page)
    assert seqs[0] < 40 < seqs[-1], "the message is shown with what came before and after"
    assert seqs == list(range(seqs[0], seqs[-1] + 1))
