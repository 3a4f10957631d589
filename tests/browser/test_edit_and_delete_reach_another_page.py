"""A person edits and deletes their own message from the page, and another person's open
page shows the new text (marked edited) and then the deletion, with no reload. Only the
author gets the buttons."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_edit_and_a_delete_reach_the_other_page(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    author = new_page(alice)
    reader = new_page(bob)
    open_room(author, room)
    open_room(reader, room)
    send(author, "helo everyone")
    send(author, "wrong room, sorry")
    first = reader.locator("#chat-log li[data-seq='1']")
    second = reader.locator("#chat-log li[data-seq='2']")
    expect(second).to_contain_text("wrong room, sorry")
    # Someone else's message has a link to copy, and nothing to change.
    expect(first.get_by_role("link", name="Copy link")).to_have_attribute(
        "href", f"{reader.url.split('/chat/')[0]}/chat/general/?seq=1"
    )
    expect(first.get_by_role("button", name="Edit")).to_have_count(0)
    expect(first.get_by_role("button", name="Delete")).to_have_count(0)

    mine = author.locator("#chat-log li[data-seq='1']")
    mine.hover()
    mine.get_by_role("button", name="Edit").click()
    box = mine.get_by_role("textbox", name="Edit message")
    box.fill("hello everyone")
    box.press("Enter")
    expect(first.locator(".body")).to_have_text("hello everyone")
    expect(first.locator(".edited")).to_have_text("(edited)")
    expect(mine.locator(".body")).to_have_text("hello everyone")

    doomed = author.locator("#chat-log li[data-seq='2']")
    doomed.hover()
    doomed.get_by_role("button", name="Delete", exact=True).click()
    doomed.get_by_role("button", name="Delete for everyone").click()
    expect(second).to_have_text("This message was deleted.")
    expect(doomed).to_have_text("This message was deleted.")

    # A reload shows the same: the edit kept, the deletion a tombstone.
    reader.reload()
    expect(reader.locator("#chat-log li[data-seq='1'] .body")).to_have_text("hello everyone")
    expect(reader.locator("#chat-log li[data-seq='2']")).to_have_text("This message was deleted.")
