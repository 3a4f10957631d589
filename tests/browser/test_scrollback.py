"""Scrolling up through a long room: the page opens at the newest message, and each scroll
to the top brings the previous page, in order, without moving what the person is reading,
until the first message and the line that says so."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect, log_seqs, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSAGES = 500
PAGE = 50


@pytest.fixture
def long_room(room: Room, alice: User, bob: User) -> Room:
    for number in range(1, MESSAGES + 1):
        author = alice if number % 3 else bob
        services.post_message(room, author, f"Message number {number}", f"seed-{number}")
    return room


TOP_OF = """seq => {
    const scroller = document.getElementById("log-scroller");
    const item = document.querySelector(`#chat-log li[data-seq="${seq}"]`);
    return item.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
}"""


def top_of(page: Page, seq: int) -> float:
    """Where the message with `seq` is, relative to the top of the scrolling log."""
    return page.evaluate(TOP_OF, seq)


def scroll_to_top(page: Page, seq: int) -> float:
    """Scroll the log to its top, as a person does, and say where `seq` was right then
    (before the page had time to add anything above it)."""
    return page.evaluate(
        f"""seq => {{
            document.getElementById("log-scroller").scrollTop = 0;
            return ({TOP_OF})(seq);
        }}""",
        seq,
    )


def test_scrolling_up_loads_every_older_page_once_in_order(
    new_page: Callable[..., Page], long_room: Room, alice: User
) -> None:
    page = new_page(alice)
    open_room(page, long_room)

    # Opens on the newest page, scrolled to the bottom.
    assert log_seqs(page) == list(range(MESSAGES - PAGE + 1, MESSAGES + 1))
    expect(page.locator(f"#chat-log li[data-seq='{MESSAGES}']")).to_be_in_viewport()
    assert (
        page.evaluate(
            """() => {
            const s = document.getElementById("log-scroller");
            return s.scrollHeight - s.scrollTop - s.clientHeight;
        }"""
        )
        <= 2
    )
    expect(page.locator("#log-edge")).not_to_have_text("This is the beginning of the room.")

    pages_loaded = 0
    oldest = MESSAGES - PAGE + 1
    while oldest > 1:
        before = scroll_to_top(page, oldest)
        expect(page.locator(f"#chat-log li[data-seq='{oldest - PAGE}']")).to_be_attached()
        expect(page.locator("#log-edge")).not_to_have_attribute("data-state", "loading")
        pages_loaded += 1
        # The message that was at the top is still where it was, now with older ones above.
        assert abs(top_of(page, oldest) - before) <= 2
        oldest -= PAGE

    assert pages_loaded == MESSAGES // PAGE - 1
    expect(page.locator("#log-edge")).to_have_text("This is the beginning of the room.")
    expect(page.locator("#log-edge")).to_have_attribute("data-state", "beginning")
    # Every seq exactly once, in order: no duplicates and no holes.
    assert log_seqs(page) == list(range(1, MESSAGES + 1))
    expect(page.locator("#chat-log li[data-seq='1'] .body")).to_have_text("Message number 1")

    # At the beginning, scrolling up again asks for nothing more.
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.locator("#log-scroller").evaluate("scroller => { scroller.scrollTop = 0; }")
    page.wait_for_timeout(300)  # a window for a wrong request to show up, not an assertion
    assert [url for url in requests if "/messages/" in url] == []
    assert log_seqs(page) == list(range(1, MESSAGES + 1))
