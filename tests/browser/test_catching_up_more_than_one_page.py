"""A page that missed more than one resume page's worth catches up all of it: it asks again
while the server says `has_more`, and only then counts as connected."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.server import LiveServer
from tests.browser.support import Page, expect, log_seqs, open_room, wait_connected
from tests.conftest import fill_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MISSED = 450  # more than two pages of 200


def test_a_page_catches_up_a_backlog_of_several_pages(
    new_page: Callable[..., Page], server: LiveServer, room: Room, alice: User, bob: User
) -> None:
    services.post_message(room, bob, "before", "before-1")
    page = new_page(alice)
    open_room(page, room)

    server.stop()
    room.refresh_from_db()  # fill_room numbers on from the room's last seq
    fill_room(room, bob, MISSED)
    server.start()

    wait_connected(page)
    expect(page.locator("#chat-log li[data-seq]")).to_have_count(MISSED + 1)
    assert log_seqs(page) == list(range(1, MISSED + 2))
