"""Losing the socket loses nothing: after the server restarts, an open page shows that it is
reconnecting, then catches up exactly the messages it missed, in order, each once; and a
broadcast that never reached the page is noticed by its seq and fetched."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.server import LiveServer
from tests.browser.support import (
    RECONNECT_TIMEOUT_MS,
    Page,
    expect,
    log_bodies,
    log_seqs,
    open_room,
    send,
    wait_connected,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def post(room: Room, author: User, body: str) -> None:
    """A message saved by another server process: committed, but never broadcast here."""
    services.post_message(room, author, body, f"elsewhere-{body.replace(' ', '-')}")


def test_page_catches_up_exactly_what_it_missed_while_the_server_was_down(
    new_page: Callable[..., Page], server: LiveServer, room: Room, alice: User, bob: User
) -> None:
    for number in (1, 2, 3):
        post(room, bob, f"before {number}")
    page = new_page(alice)
    open_room(page, room)
    assert log_seqs(page) == [1, 2, 3]

    server.stop()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "reconnecting")
    expect(page.locator("#connection-status")).to_contain_text("Reconnecting")
    for number in (1, 2, 3, 4, 5):
        post(room, bob, f"missed {number}")
    server.start()

    wait_connected(page)
    expect(page.locator("#chat-log li[data-seq]")).to_have_count(8)
    assert log_seqs(page) == list(range(1, 9))
    assert log_bodies(page) == [f"before {n}" for n in (1, 2, 3)] + [
        f"missed {n}" for n in (1, 2, 3, 4, 5)
    ]

    # Live again: the next message arrives once, after the caught-up ones.
    other = new_page(bob)
    open_room(other, room)
    send(other, "back again")
    expect(page.locator("#chat-log li[data-seq='9'] .body")).to_have_text("back again")
    assert log_seqs(page) == list(range(1, 10))


def test_a_missed_broadcast_is_noticed_by_its_seq_and_fetched(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    post(room, bob, "first")
    page = new_page(alice)
    open_room(page, room)
    other = new_page(bob)
    open_room(other, room)

    # Seq 2 is committed but its broadcast never comes (a channel-layer failure, say).
    post(room, bob, "lost broadcast")
    send(other, "third")

    # Seq 3 arrives live; the page sees that 2 is missing and asks for it.
    expect(page.locator("#chat-log li[data-seq]")).to_have_count(3, timeout=RECONNECT_TIMEOUT_MS)
    assert log_seqs(page) == [1, 2, 3]
    assert log_bodies(page) == ["first", "lost broadcast", "third"]
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "connected")
