"""The My rooms list fetches GET /api/rooms/ again whenever its socket reconnects: what was
said while alice's page was cut off (the server down, the messages saved all the same)
shows in her badges once the page is back, without a reload."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.server import LiveServer
from tests.browser.support import RECONNECT_TIMEOUT_MS, Page, expect, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_badges_catch_up_after_the_socket_comes_back(
    new_page: Callable[..., Page], server: LiveServer, room: Room, alice: User, bob: User
) -> None:
    page = new_page(alice)
    open_room(page, room)
    page.goto("/")
    entry = page.locator("nav.my-rooms li[data-room='general']")
    expect(entry).to_be_visible()
    expect(entry.locator(".badge")).to_have_count(0)

    server.stop()
    services.post_message(room, bob, "while you were away", "away-1")
    services.post_message(room, bob, "@alice still there?", "away-2")
    server.start()

    expect(entry.locator(".badge.unread")).to_have_text("2", timeout=RECONNECT_TIMEOUT_MS)
    expect(entry.locator(".badge.mention")).to_have_text("@1")
