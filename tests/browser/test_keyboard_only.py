"""Parley without a mouse: sign in, open a room, send, scroll back through history and jump
back to the latest message, with nothing but keys. A room opens with focus in the message
box, focus stays there after sending, and the skip link goes there too."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect, wait_connected
from tests.browser.test_focus_and_borders_have_contrast import FROM_THE_TOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSAGES = 120


def tab_to(page: Page, target, *, backwards: bool = False, most: int = 20) -> None:
    """Press Tab (or Shift+Tab) until `target` has focus, as a keyboard user does; fails if
    it is not reached in `most` presses."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(most):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press(key)
    expect(target).to_be_focused(timeout=1)


def test_sign_in_talk_scroll_back_and_return_with_the_keyboard_only(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    for number in range(1, MESSAGES + 1):
        services.post_message(room, bob, f"Message number {number}", f"seed-{number}")
    page = new_page()
    page.goto("/accounts/login/")

    tab_to(page, page.get_by_label("Login"))
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type("alice-pw-1")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/$"))

    tab_to(page, page.get_by_role("link", name="General"))
    page.keyboard.press("Enter")
    wait_connected(page)
    # The room opens ready to type in.
    box = page.get_by_label("Message", exact=True)
    expect(box).to_be_focused()

    page.keyboard.type("Typed, never clicked")
    page.keyboard.press("Enter")
    latest = page.locator(f"#chat-log li[data-seq='{MESSAGES + 1}']")
    expect(latest.locator(".body")).to_have_text("Typed, never clicked")
    expect(box).to_be_focused()

    # Back through the history: to the log, then Home until the room's beginning.
    history = page.get_by_role("region", name="Message history")
    tab_to(page, history, backwards=True)
    for _ in range(10):
        page.keyboard.press("Home")
        if page.locator("#log-edge[data-state='beginning']").count():
            break
        expect(page.locator("#log-edge")).not_to_have_attribute("data-state", "loading")
        page.wait_for_timeout(100)
    expect(page.locator("#log-edge")).to_have_text("This is the beginning of the room.")
    # Reaching the top starts a load only once the scroll event comes, so the last page may
    # have arrived after the last Home (on a busy machine it does), put above what was in
    # view, which stays in place: Home once more, now that nothing is left to load.
    page.keyboard.press("Home")
    expect(page.locator("#chat-log li[data-seq='1']")).to_be_in_viewport()
    expect(latest).not_to_be_in_viewport()

    # Escape: straight to the latest message, with focus on it; Tab goes on to the box.
    page.keyboard.press("Escape")
    expect(latest).to_be_in_viewport()
    expect(latest).to_be_focused()
    page.keyboard.press("Tab")
    expect(box).to_be_focused()


def test_the_skip_link_goes_to_the_message_box(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    page = new_page(alice)
    page.goto(room.get_absolute_url())
    wait_connected(page)
    # Focus back at the top of the document, as when Tab first comes in from the browser's
    # own controls.
    page.evaluate(FROM_THE_TOP)

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the message box")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
