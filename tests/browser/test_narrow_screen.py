"""The room works on a 360px-wide phone: nothing scrolls sideways, long words wrap, and the
composer stays on screen and usable from the keyboard."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect, log_bodies, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 640}
LONG_WORD = "Supercalifragilistic" * 12


def overflow(page: Page) -> int:
    """How far the page is wider than the window (0 when nothing scrolls sideways)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_room_fits_a_phone_and_wraps_long_words(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    services.post_message(room, bob, LONG_WORD, "long-word")
    services.post_message(room, bob, "one\ntwo\n\nfour", "lines")
    page = new_page(alice, viewport=PHONE)

    page.goto("/")
    assert overflow(page) == 0
    page.get_by_role("link", name="General").click()
    wait_connected(page)

    assert overflow(page) == 0
    word = page.locator("#chat-log li[data-seq='1'] .body")
    box = word.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Line breaks are kept as typed.
    assert log_bodies(page)[1] == "one\ntwo\n\nfour"
    assert page.locator("#chat-log li[data-seq='2'] .body").bounding_box()["height"] > 60

    box_input = page.get_by_label("Message", exact=True)
    expect(box_input).to_be_in_viewport()
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()

    # Keyboard only: focus the composer, type, Tab to Send and press it.
    box_input.focus()
    page.keyboard.insert_text("sent from the keyboard")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#chat-log li[data-seq='3'] .body")).to_have_text("sent from the keyboard")
    assert overflow(page) == 0
