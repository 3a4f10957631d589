"""A keyboard user reaches any message's actions without Tab walking through the whole log:
Escape focuses the latest message, Up moves to older ones, Enter brings Tab to the focused
message's "Copy link", "Edit" and "Delete"; an edit is saved with Enter."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_up_enter_and_tab_reach_an_older_messages_edit(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    services.post_message(room, alice, "my typo here", "a1")
    services.post_message(room, bob, "a reply", "b1")
    page = new_page(alice)
    open_room(page, room)
    box = page.get_by_label("Message", exact=True)
    expect(box).to_be_focused()

    page.keyboard.press("Escape")
    expect(page.locator("#chat-log li[data-seq='2']")).to_be_focused()
    page.keyboard.press("ArrowUp")
    mine = page.locator("#chat-log li[data-seq='1']")
    expect(mine).to_be_focused()
    page.keyboard.press("Enter")
    expect(mine.get_by_role("link", name="Copy link")).to_be_focused()
    page.keyboard.press("Tab")
    expect(mine.get_by_role("button", name="Edit")).to_be_focused()
    page.keyboard.press("Enter")
    edit = mine.get_by_role("textbox", name="Edit message")
    expect(edit).to_be_focused()
    edit.fill("my fixed text")
    page.keyboard.press("Enter")
    expect(mine.locator(".body")).to_have_text("my fixed text")
    expect(mine.locator(".edited")).to_have_text("(edited)")
