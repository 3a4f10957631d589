"""Desktop notifications for mentions are opt-in: with the browser's permission already
granted, alice's page shows none until she presses "Notify me of mentions"; then a message
that mentions her while her tab is hidden shows one ("bob mentioned you in General"), and
one that does not mention her, or that comes while she is looking, shows none; pressing
the button again turns them off.

Chromium's notifications are real here; the test watches them by wrapping the page's
Notification constructor (calls pass through), and says when the tab is hidden by answering
document.hidden, since a headless browser has no window to hide."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.shown = [];
window.tabHidden = false;
const Real = window.Notification;
window.Notification = new Proxy(Real, {
  construct(target, args) {
    window.shown.push({ title: args[0], body: args[1]?.body });
    return Reflect.construct(target, args);
  },
});
Object.defineProperty(Document.prototype, "hidden", { get: () => window.tabHidden });
Object.defineProperty(Document.prototype, "visibilityState", {
  get: () => (window.tabHidden ? "hidden" : "visible"),
});
"""


def shown(page: Page) -> list[dict]:
    return page.evaluate("() => window.shown")


def test_mentions_notify_only_once_asked_and_only_while_the_tab_is_hidden(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    page = new_page(alice)
    page.context.grant_permissions(["notifications"])
    page.add_init_script(WATCH)
    open_room(page, room)
    other = new_page(bob)
    open_room(other, room)
    toggle = page.get_by_role("button", name="Notify me of mentions")
    expect(toggle).to_have_attribute("aria-pressed", "false")

    def bob_says(text: str, seq: int) -> None:
        send(other, text)
        expect(page.locator(f"#chat-log li[data-seq='{seq}']")).to_be_attached()

    # Not asked for: nothing, though the browser would allow it.
    page.evaluate("() => { window.tabHidden = true; }")
    bob_says("@alice are you there?", 1)
    assert shown(page) == []

    page.evaluate("() => { window.tabHidden = false; }")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.evaluate("() => { window.tabHidden = true; }")
    bob_says("@alice the kettle is on", 2)
    bob_says("no mention in this one", 3)
    assert shown(page) == [
        {"title": "bob mentioned you in General", "body": "@alice the kettle is on"}
    ]

    # Looking at the room: no notification, the message is on the screen.
    page.evaluate("() => { window.tabHidden = false; }")
    bob_says("@alice see?", 4)
    assert len(shown(page)) == 1

    # Kept across a reload, and off again with the same button.
    page.reload()
    open_room(page, room)
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.evaluate("() => { window.tabHidden = true; }")
    bob_says("@alice once more", 5)
    assert shown(page) == []
