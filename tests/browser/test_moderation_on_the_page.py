"""A moderator working in the admin changes open room pages at once: a hidden message turns
into a "removed" line in place and comes back when restored; a locked room closes the
composer; a muted person sees why they cannot send, from the moment the page opens."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room, RoomBan
from tests.browser.support import Page, expect, log_seqs, open_room, send, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def run_admin_action(admin: Page, changelist: str, row_text: str, action: str) -> None:
    admin.goto(changelist)
    admin.locator("#result_list tr", has_text=row_text).locator("input.action-select").check()
    admin.locator("select[name=action]").select_option(action)
    admin.locator("button[name=index]").click()
    expect(admin.locator("ul.messagelist")).to_contain_text("1 ")


def test_hide_and_restore_from_the_admin_change_the_open_page_in_place(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User, moderator: User
) -> None:
    reader = new_page(alice)
    open_room(reader, room)
    writer = new_page(bob)
    open_room(writer, room)
    for text in ("first", "something rude", "last"):
        send(writer, text)
    expect(reader.locator("#chat-log li[data-seq]")).to_have_count(3)

    admin = new_page(moderator)
    run_admin_action(admin, "/admin/chat/message/", "something rude", "hide_messages")

    removed = reader.locator("#chat-log li[data-seq='2']")
    expect(removed).to_contain_text("hidden by a moderator")
    expect(reader.locator("#chat-log")).not_to_contain_text("something rude")
    assert log_seqs(reader) == [1, 2, 3]

    reader.reload()
    wait_connected(reader)
    expect(reader.locator("#chat-log li[data-seq='2']")).to_contain_text("hidden by a moderator")

    run_admin_action(admin, "/admin/chat/message/?hidden=yes", "something rude", "restore_messages")
    expect(reader.locator("#chat-log li[data-seq='2']")).to_contain_text("something rude")
    assert log_seqs(reader) == [1, 2, 3]


def test_locking_from_the_admin_closes_the_composer_of_open_pages(
    new_page: Callable[..., Page], room: Room, alice: User, moderator: User
) -> None:
    page = new_page(alice)
    open_room(page, room)

    admin = new_page(moderator)
    run_admin_action(admin, "/admin/chat/room/", "General", "lock_rooms")

    expect(page.locator("#composer-note")).to_contain_text("locked")
    expect(page.get_by_label("Message", exact=True)).to_be_disabled()


def test_a_muted_person_sees_the_mute_when_the_page_opens(
    new_page: Callable[..., Page], room: Room, charlie: User
) -> None:
    # Made directly: the point is what the page shows on opening, not the live frame.
    RoomBan.objects.create(room=room, user=charlie, kind="mute", reason="cool off")
    page = new_page(charlie)
    open_room(page, room)
    expect(page.locator("#composer-note")).to_contain_text("You are muted in this room: cool off")
