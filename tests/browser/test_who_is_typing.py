"""While alice types, bob's and charlie's pages say "alice is typing…" and hers never does;
it goes about 5 s after her last keystroke (or at once when her message arrives). Her page
sends `typing` at most once per 3 s however fast she types, and nothing for a box of
spaces; typing again right after sending shows again once the 3 s are up. Two typists are
"alice and bob are typing…", three "3 people are typing…". The line
is a polite status that a screen reader hears once per change, not once per frame, and axe
finds nothing while it shows."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model

from accounts.models import User
from chat.models import Room
from tests.browser.axe import violations
from tests.browser.support import Page, expect, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Installed before the page's scripts: every frame the page sends, and every text added to
# the typing line, from the moment the test says "now".
RECORD = """
window.sentFrames = [];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  try { window.sentFrames.push({ at: performance.now(), frame: JSON.parse(data) }); } catch {}
  return send.call(this, data);
};
window.typingSaid = [];
// Each change to the line, said or not: the same sentence written again would be read again.
new MutationObserver((records) => {
  const line = document.getElementById("typing");
  if (!line || !records.some((record) => line.contains(record.target))) return;
  const text = line.textContent.trim();
  if (text) window.typingSaid.push(text);
}).observe(document, { childList: true, subtree: true, characterData: true });
"""

# docs/protocol.md: shown for up to 5 s after the last `typing`; the test allows for the
# frame's way there and the page's timer.
SHOWN_MS = 5000


def recorded(page: Page) -> Page:
    page.add_init_script(RECORD)
    return page


def typing_frames(page: Page) -> list[float]:
    return page.evaluate(
        "() => window.sentFrames.filter(f => f.frame.type === 'typing').map(f => f.at)"
    )


def test_others_see_who_is_typing_and_the_typist_never_does(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User, charlie: User
) -> None:
    pages = {user.username: recorded(new_page(user, axe=True)) for user in (alice, bob, charlie)}
    for page in pages.values():
        open_room(page, room)
    box = pages["alice"].get_by_label("Message", exact=True)
    box.click()

    # Nothing for a box of spaces.
    pages["alice"].keyboard.type("   ")
    pages["alice"].wait_for_timeout(1000)
    assert typing_frames(pages["alice"]) == []
    expect(pages["bob"].locator("#typing")).to_have_text("")

    # Four seconds of steady typing: two frames at most, 3 s apart or more.
    box.fill("")
    started = pages["alice"].evaluate("() => performance.now()")
    while pages["alice"].evaluate("() => performance.now()") - started < 4000:
        pages["alice"].keyboard.type("tea? ", delay=60)
    sent = typing_frames(pages["alice"])
    assert 1 <= len(sent) <= 2, sent
    assert all(later - earlier >= 3000 for earlier, later in pairwise(sent)), sent

    for name in ("bob", "charlie"):
        expect(pages[name].locator("#typing")).to_have_text("alice is typing…")
    expect(pages["bob"].locator("#typing")).to_have_attribute("role", "status")
    assert violations(pages["bob"]) == []
    # However many frames came, a screen reader was given the line once.
    assert pages["bob"].evaluate("() => window.typingSaid") == ["alice is typing…"]
    # Never on the typist's own page.
    assert pages["alice"].evaluate("() => window.typingSaid") == []
    expect(pages["alice"].locator("#typing")).to_have_text("")

    # She stops: gone within 5 s of her last frame.
    expect(pages["bob"].locator("#typing")).to_have_text("", timeout=SHOWN_MS + 3000)
    assert pages["alice"].evaluate("() => window.typingSaid") == []


def test_several_typists_are_folded_into_one_line(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User, charlie: User
) -> None:
    dave = get_user_model().objects.create_user("dave", "dave@example.com", "dave-pw-1")
    pages = {user.username: new_page(user) for user in (alice, bob, charlie, dave)}
    for page in pages.values():
        open_room(page, room)

    def types(name: str, text: str) -> None:
        pages[name].get_by_label("Message", exact=True).click()
        pages[name].keyboard.type(text)

    types("alice", "one")
    types("bob", "two")
    expect(pages["charlie"].locator("#typing")).to_have_text("alice and bob are typing…")
    expect(pages["alice"].locator("#typing")).to_have_text("bob is typing…")
    types("charlie", "three")
    expect(pages["dave"].locator("#typing")).to_have_text("3 people are typing…")
    expect(pages["charlie"].locator("#typing")).to_have_text("alice and bob are typing…")

    # A message from a typist ends their "typing" at once, before the 5 s are up.
    pages["alice"].get_by_label("Message", exact=True).press("Enter")
    expect(pages["dave"].locator("#chat-log li[data-seq='1']")).to_contain_text("one")
    expect(pages["dave"].locator("#typing")).to_have_text("bob and charlie are typing…")


def test_typing_again_right_after_sending_shows_again(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    typist = recorded(new_page(alice))
    reader = new_page(bob)
    for page in (typist, reader):
        open_room(page, room)
    box = typist.get_by_label("Message", exact=True)
    box.click()
    typist.keyboard.type("first")
    expect(reader.locator("#typing")).to_have_text("alice is typing…")
    box.press("Enter")
    # Her message ends her line at once...
    expect(reader.locator("#chat-log li[data-seq='1']")).to_contain_text("first")
    expect(reader.locator("#typing")).to_have_text("", timeout=1000)
    # ...and a few keys of the next one, within the 3 s, bring it back when they are up,
    # without waiting for another keystroke.
    typist.keyboard.type("and")
    expect(reader.locator("#typing")).to_have_text("alice is typing…", timeout=4000)
    sent = typing_frames(typist)
    assert len(sent) == 2 and sent[1] - sent[0] >= 3000, sent
