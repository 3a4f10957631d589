"""/chat/<slug>/?seq=N on a room of 2,000 messages: the page opens on message N, scrolls
back to older pages and forward to newer ones, and at the end rejoins the live room: every
seq once, in order, and a message sent afterwards arrives live."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, log_seqs, open_room, send, wait_connected
from tests.conftest import fill_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSAGES = 2000
TARGET = 1000


def scroll(page: Page, where: str) -> None:
    page.evaluate(
        """where => {
            const s = document.getElementById("log-scroller");
            s.scrollTop = where === "top" ? 0 : s.scrollHeight;
        }""",
        where,
    )


def test_scrolling_both_ways_reaches_the_live_end_without_gaps(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    fill_room(room, alice, MESSAGES)
    page = new_page(alice)
    page.goto(f"{room.get_absolute_url()}?seq={TARGET}")
    wait_connected(page)
    expect(page.locator(f"#chat-log li[data-seq='{TARGET}']")).to_be_in_viewport()
    assert log_seqs(page) == list(range(TARGET - 24, TARGET + 26))

    # Two pages back.
    for oldest in (TARGET - 74, TARGET - 124):
        scroll(page, "top")
        expect(page.locator(f"#chat-log li[data-seq='{oldest}']")).to_be_attached()
        expect(page.locator("#log-edge")).not_to_have_attribute("data-state", "loading")

    # Then forward, page by page, to the live end.
    end = page.locator("#log-end")
    for _ in range(40):
        if end.get_attribute("data-state") == "live":
            break
        newest = log_seqs(page)[-1]
        scroll(page, "bottom")
        # A scroll to the bottom brings the next page (or the live end); wait for it to be in.
        page.wait_for_function(
            """newest => {
                const end = document.getElementById('log-end').dataset.state;
                const seqs = [...document.querySelectorAll('#chat-log li[data-seq]')];
                return end === 'live' || (end !== 'loading' && +seqs.at(-1).dataset.seq > newest);
            }""",
            arg=newest,
        )
    expect(end).to_have_attribute("data-state", "live")
    assert log_seqs(page) == list(range(TARGET - 124, MESSAGES + 1))
    expect(page).to_have_url(room.get_absolute_url())

    # Live again: what someone says now arrives, once, right after the last page.
    other = new_page(bob)
    open_room(other, room)
    send(other, "back to the present")
    expect(page.locator(f"#chat-log li[data-seq='{MESSAGES + 1}']")).to_contain_text(
        "back to the present"
    )
    assert log_seqs(page) == list(range(TARGET - 124, MESSAGES + 2))
