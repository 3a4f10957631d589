"""While alice reads one room, bob and charlie post in another of her rooms: its entry in
her "My rooms" list gets an unread badge and a mention badge that count up live, with no
reload, and a screen reader hears the counts after the room's name. Her own message there
counts as read."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The issue asks for the badge within 2 s; the page's own budget is the refetch-free path.
LIVE_MS = 2_000


def test_badges_count_up_live_while_reading_another_room(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User, charlie: User
) -> None:
    kitchen = Room.objects.create(name="Kitchen", slug="kitchen", created_by=bob)
    page = new_page(alice)
    # Opening a room makes alice a member of it; she then reads General.
    open_room(page, kitchen)
    open_room(page, room)
    entry = page.locator("nav.my-rooms li[data-room='kitchen']")
    expect(entry).to_be_visible()
    expect(entry.locator(".badge")).to_have_count(0)
    expect(page.locator("nav.my-rooms li[data-room='general'] a")).to_have_attribute(
        "aria-current", "page"
    )

    poster = new_page(bob)
    open_room(poster, kitchen)
    other = new_page(charlie)
    open_room(other, kitchen)
    # Both sockets are up before anyone posts (charlie's page joined Kitchen).
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "connected")

    send(poster, "lunch anyone?")
    expect(entry.locator(".badge.unread")).to_have_text("1", timeout=LIVE_MS)
    expect(entry.locator(".badge.mention")).to_have_count(0)

    send(other, "@alice are you coming?")
    expect(entry.locator(".badge.unread")).to_have_text("2", timeout=LIVE_MS)
    expect(entry.locator(".badge.mention")).to_have_text("@1", timeout=LIVE_MS)
    # The badges are hidden from screen readers, which hear this sentence instead.
    expect(entry.locator(".badges")).to_have_attribute("aria-hidden", "true")
    expect(entry.get_by_role("link")).to_have_accessible_name(
        re.compile(r"^Kitchen\s*, 2 unread messages, 1 mention of you$")
    )
    # The room with the news moved to the top of the list.
    expect(page.locator("nav.my-rooms li").first).to_have_attribute("data-room", "kitchen")
    # Alice's own page shows nothing unread for the room she is reading.
    expect(page.locator("nav.my-rooms li[data-room='general'] .badge")).to_have_count(0)

    # Alice answers in Kitchen from another tab: her own message reads the room up to it.
    tab = page.context.new_page()
    open_room(tab, kitchen)
    send(tab, "on my way")
    expect(entry.locator(".badge")).to_have_count(0, timeout=LIVE_MS)
