"""A moderator hides, in the admin, the message that mentioned alice in a room she is not
reading: the badges in her "My rooms" list drop at once, with no reload; restored, they come
back."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE_MS = 2_000


def run_admin_action(admin: Page, changelist: str, row_text: str, action: str) -> None:
    admin.goto(changelist)
    admin.locator("#result_list tr", has_text=row_text).locator("input.action-select").check()
    admin.locator("select[name=action]").select_option(action)
    admin.locator("button[name=index]").click()
    expect(admin.locator("ul.messagelist")).to_contain_text("1 ")


def test_hiding_and_restoring_a_message_moves_the_badges_live(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User, moderator: User
) -> None:
    kitchen = Room.objects.create(name="Kitchen", slug="kitchen", created_by=bob)
    page = new_page(alice)
    open_room(page, kitchen)
    open_room(page, room)
    entry = page.locator("nav.my-rooms li[data-room='kitchen']")
    expect(entry).to_be_visible()

    poster = new_page(bob)
    open_room(poster, kitchen)
    send(poster, "lunch anyone?")
    send(poster, "@alice you especially, rudely")
    expect(entry.locator(".badge.unread")).to_have_text("2", timeout=LIVE_MS)
    expect(entry.locator(".badge.mention")).to_have_text("@1", timeout=LIVE_MS)

    admin = new_page(moderator)
    run_admin_action(admin, "/admin/chat/message/", "rudely", "hide_messages")
    expect(entry.locator(".badge.unread")).to_have_text("1", timeout=LIVE_MS)
    expect(entry.locator(".badge.mention")).to_have_count(0)

    run_admin_action(admin, "/admin/chat/message/?hidden=yes", "rudely", "restore_messages")
    expect(entry.locator(".badge.unread")).to_have_text("2", timeout=LIVE_MS)
    expect(entry.locator(".badge.mention")).to_have_text("@1", timeout=LIVE_MS)
