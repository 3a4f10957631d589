"""Focus is never lost when a message changes under it: a message with keyboard focus that
a moderator hides stays the focused element (changed in place, not swapped for a new one),
and one that is deleted hands focus to its neighbour, not to the page."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, open_room, send
from tests.browser.test_moderation_on_the_page import run_admin_action

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_focus_stays_on_a_hidden_message_and_moves_to_a_neighbour_from_a_deleted_one(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User, moderator: User
) -> None:
    reader = new_page(alice)
    open_room(reader, room)
    writer = new_page(bob)
    open_room(writer, room)
    for text in ("first", "second", "something rude"):
        send(writer, text)
    rude = reader.locator("#chat-log li[data-seq='3']")
    expect(rude).to_contain_text("something rude")

    reader.keyboard.press("Escape")
    expect(rude).to_be_focused()
    rude.evaluate("li => { li.dataset.marked = 'yes'; }")

    admin = new_page(moderator)
    run_admin_action(admin, "/admin/chat/message/", "something rude", "hide_messages")
    expect(rude).to_contain_text("hidden by a moderator")
    # The very element that had focus still has it.
    expect(reader.locator("#chat-log li[data-marked='yes']")).to_be_focused()

    run_admin_action(admin, "/admin/chat/message/", "something rude", "delete_for_good")
    expect(rude).to_have_count(0)
    expect(reader.locator("#chat-log li[data-seq='2']")).to_be_focused()
