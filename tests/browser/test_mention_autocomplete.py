"""Typing `@` in the message box offers the room's members whose names start with what
follows, in a listbox the box points at (aria-controls, aria-activedescendant): the arrows
move through it, Enter or Tab puts the name in (and sends nothing), Escape closes it and
keeps the text. axe finds nothing while the list is open."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model

from accounts.models import User
from chat.models import Room
from tests.browser.axe import violations
from tests.browser.support import Page, expect, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_is_picked_with_the_keyboard(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User, charlie: User
) -> None:
    # Members are those who opened the room; brenda never did, so she is never offered.
    get_user_model().objects.create_user("brenda", "brenda@example.com", "brenda-pw-1")
    for user in (bob, charlie):
        other = new_page(user)
        open_room(other, room)
        other.close()
    page = new_page(alice, axe=True)
    open_room(page, room)
    box = page.get_by_label("Message", exact=True)
    options = page.get_by_role("listbox", name="People to mention").get_by_role("option")

    box.click()
    page.keyboard.type("Tea, @")
    expect(options).to_have_text(["alice", "bob", "charlie"])
    expect(box).to_have_attribute("aria-controls", "mention-options")
    expect(box).to_have_attribute("aria-autocomplete", "list")
    assert violations(page) == []
    # The first is chosen; the arrows move, and wrap around.
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowUp")
    expect(options.nth(2)).to_have_attribute("aria-selected", "true")
    expected_id = options.nth(2).get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", expected_id)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(box).to_have_value("Tea, @bob ")
    expect(options).to_have_count(0)
    # Enter picked a name; it sent nothing.
    expect(page.locator("#chat-log li.msg")).to_have_count(0)

    # The prefix narrows the list; Tab picks too.
    page.keyboard.type("and @C")
    expect(options).to_have_text(["charlie"])
    page.keyboard.press("Tab")
    expect(box).to_have_value("Tea, @bob and @charlie ")
    expect(box).to_be_focused()

    # Escape closes the list and leaves the text as typed.
    page.keyboard.type("@b")
    expect(options).to_have_text(["bob"])
    page.keyboard.press("Escape")
    expect(options).to_have_count(0)
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))
    expect(box).to_have_value("Tea, @bob and @charlie @b")

    # Nobody by that name: no list.
    page.keyboard.type("renda")
    page.wait_for_timeout(600)
    expect(options).to_have_count(0)
