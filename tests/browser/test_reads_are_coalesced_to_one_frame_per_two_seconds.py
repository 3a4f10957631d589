"""Reading through a busy room costs the server at most one `read` frame every 2 s: alice
scrolls from the top of 120 unread messages to the bottom over about three seconds, and her
page sends two or three `read` frames, each further on, the last one at the newest message.
(Measured: the frames on the wire, through Playwright's view of the socket.)"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from accounts.models import User
from chat import services
from chat.models import Room, RoomMembership
from tests.browser.support import Page, expect, wait_connected

if TYPE_CHECKING:
    from playwright.sync_api import WebSocket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_scrolling_through_a_room_sends_few_reads_and_ends_at_the_newest(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    RoomMembership.objects.create(room=room, user=alice, last_read_seq=0)
    for number in range(1, 121):
        services.post_message(room, bob, f"Message {number}", f"m-{number}")
    page = new_page(alice)
    reads: list[tuple[float, int]] = []

    def watch(socket: WebSocket) -> None:
        if "/ws/chat/" not in socket.url:
            return

        def sent(payload: str | bytes) -> None:
            frame = json.loads(payload)
            if frame.get("type") == "read":
                reads.append((time.monotonic(), frame["seq"]))

        socket.on("framesent", sent)

    page.on("websocket", watch)
    page.goto(room.get_absolute_url())
    wait_connected(page)
    # Older pages load until the first unread message, where the page opens.
    # Up to the oldest, as a reader scrolls: each scroll to the top brings an older page.
    for _ in range(20):
        page.locator("#log-scroller").evaluate("s => { s.scrollTop = 0; }")
        if page.locator("#chat-log li[data-seq='1']").count():
            break
        page.wait_for_timeout(250)
    expect(page.locator("#chat-log li[data-seq='1']")).to_be_attached()
    started = time.monotonic()
    for _ in range(30):
        page.locator("#log-scroller").evaluate("s => { s.scrollTop += s.clientHeight / 3; }")
        page.wait_for_timeout(100)
    page.locator("#log-scroller").evaluate("s => { s.scrollTop = s.scrollHeight; }")
    expect(page.locator("#chat-log li[data-seq='120']")).to_be_in_viewport()
    page.wait_for_timeout(2_500)  # the last coalesced read goes out
    elapsed = time.monotonic() - started

    seqs = [seq for _, seq in reads]
    assert seqs, "no read frame was sent"
    assert seqs[-1] == 120
    assert seqs == sorted(set(seqs)), f"reads must only move forward: {seqs}"
    # One at once, then one per 2 s at most (a little slack for the browser's timers).
    assert len(reads) <= 1 + int(elapsed / 2) + 1, (elapsed, reads)
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(reads)]
    assert all(gap >= 1.9 for gap in gaps), gaps
    # And the server kept it.
    assert RoomMembership.objects.get(room=room, user=alice).last_read_seq == 120
