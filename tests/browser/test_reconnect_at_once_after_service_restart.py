"""A server that is going away (SIGTERM, a deploy) closes sockets with 1012, "service
restart": the page reconnects at once, without the backoff it waits after a failure, and
is connected and caught up again. After a plain failure it still backs off."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, open_room, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_1012_reconnects_at_once_and_a_failure_backs_off(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    page = new_page(alice)
    attempts: list[float] = []
    routes = []

    def relay(ws) -> None:
        attempts.append(time.monotonic())
        ws.connect_to_server()
        routes.append(ws)

    page.route_web_socket("**/ws/chat/**", relay)
    open_room(page, room)

    def drop(code: int) -> float:
        """Close the page's socket with `code`; seconds until the page tried again."""
        before = len(attempts)
        closed_at = time.monotonic()
        routes[-1].close(code=code, reason="test")
        _wait_for(page, lambda: len(attempts) > before)
        wait_connected(page)
        return attempts[-1] - closed_at

    # A failure (1011, server error) first: the first wait is 0.25-0.5 s.
    assert drop(1011) >= 0.2
    # Connected and caught up again, so healthy: a 1012 now reconnects at once.
    assert drop(1012) < 0.2
    expect(page.locator("#connection-status")).to_have_text("Connected")


def _wait_for(page: Page, condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the page did not try to reconnect"
        page.wait_for_timeout(5)
