"""A right-to-left override (U+202E) in a message, whether it comes with the page or live,
reverses at most that message's own text: each body and author name is isolated
(`dir="auto"`, `unicode-bidi: isolate`), so the next message, and the name and time around
the body, still read in logical order. Room names are isolated the same way on the index, and
a right-to-left message is laid out right to left."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERRIDE = "\u202eevil override"
NEXT = "first second third"
HEBREW = "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd"

# The left edge of each word of `selector`'s text, as laid out on the screen.
_WORD_LEFTS = """([selector, words]) => {
  const node = document.querySelector(selector);
  const text = node.firstChild;
  return words.map((word) => {
    const start = text.textContent.indexOf(word);
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, start + word.length);
    return range.getBoundingClientRect().left;
  });
}"""

_ISOLATION = """(selector) => {
  const node = document.querySelector(selector);
  const style = getComputedStyle(node);
  return [node.getAttribute("dir"), style.unicodeBidi, style.direction];
}"""


def word_lefts(page: Page, selector: str, words: list[str]) -> list[float]:
    return page.evaluate(_WORD_LEFTS, [selector, words])


def in_reading_order(page: Page, selector: str, words: list[str]) -> bool:
    lefts = word_lefts(page, selector, words)
    return lefts == sorted(lefts) and len(set(lefts)) == len(lefts)


def isolation(page: Page, selector: str) -> list[str]:
    return page.evaluate(_ISOLATION, selector)


def message(seq: int, part: str = ".body") -> str:
    return f'#chat-log li[data-seq="{seq}"] {part}'


def assert_override_contained(page: Page, override_seq: int, next_seq: int) -> None:
    assert isolation(page, message(override_seq))[:2] == ["auto", "isolate"]
    assert isolation(page, message(override_seq, ".author"))[:2] == ["auto", "isolate"]
    # The override does reverse its own body...
    assert not in_reading_order(page, message(override_seq), ["evil", "override"])
    # ...and nothing else: not the next message, not the name and time beside it.
    assert in_reading_order(page, message(next_seq), NEXT.split())
    author = page.locator(message(override_seq, ".author")).bounding_box()
    time = page.locator(message(override_seq, "time")).bounding_box()
    assert author["x"] < time["x"]


def test_an_override_reverses_only_its_own_message(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    services.post_message(room, bob, OVERRIDE, "o1")
    services.post_message(room, alice, NEXT, "n1")

    page = new_page(alice)
    open_room(page, room)
    expect(page.locator("#chat-log li[data-seq]")).to_have_count(2)
    assert_override_contained(page, 1, 2)

    # Live over the socket, as typed.
    send(page, OVERRIDE)
    send(page, NEXT)
    expect(page.locator("#chat-log li[data-seq]")).to_have_count(4)
    assert_override_contained(page, 3, 4)


def test_a_right_to_left_message_is_laid_out_right_to_left(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    services.post_message(room, alice, HEBREW, "h1")
    services.post_message(room, alice, NEXT, "n1")
    page = new_page(alice)
    open_room(page, room)
    assert isolation(page, message(1)) == ["auto", "isolate", "rtl"]
    assert isolation(page, message(2)) == ["auto", "isolate", "ltr"]


def test_a_room_name_with_an_override_stays_in_its_place_on_the_index(
    new_page: Callable[..., Page], alice: User
) -> None:
    Room.objects.create(name="\u202eevil room", slug="evil-room", created_by=alice)
    page = new_page(alice)
    page.goto("/")
    link = ".rooms li .room-name"
    assert isolation(page, link)[:2] == ["auto", "isolate"]
    assert in_reading_order(page, ".rooms li .activity", ["Last", "activity"])
    name = page.locator(link).bounding_box()
    activity = page.locator(".rooms li .activity").bounding_box()
    assert name["x"] < activity["x"]
