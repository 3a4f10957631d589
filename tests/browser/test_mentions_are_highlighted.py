"""A message that mentions bob is marked on bob's page (a class for the colour and the words
"Mentions you"), live and again after a reload (history carries `mentions`), and on nobody
else's; a screen reader hears "alice, mentioning you: …" on bob's page only. Every `@name`
in a body is a token element of its own, built from text (a name that looks like markup
stays text). axe finds nothing on the page with the mention showing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.axe import violations
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The class among the message's classes (a string would have to be the whole attribute).
MENTIONS_ME = re.compile(r"(^|\s)mentions-me(\s|$)")


def test_a_mention_is_highlighted_for_the_one_mentioned_only(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User, charlie: User
) -> None:
    pages = {user.username: new_page(user, axe=True) for user in (alice, bob, charlie)}
    # Opening the room makes each of them a member, so the server resolves their names.
    for page in pages.values():
        open_room(page, room)

    send(pages["alice"], "@bob, the kettle is on. Tell <b>@nobody</b> (mail me: a@b.org)")
    for page in pages.values():
        expect(page.locator("#chat-log li[data-seq='1'] .body")).to_contain_text("kettle")

    mentioned = pages["bob"].locator("#chat-log li[data-seq='1']")
    expect(mentioned).to_have_class(MENTIONS_ME)
    expect(mentioned.locator(".mention-note")).to_have_text("Mentions you")
    for name in ("alice", "charlie"):
        message = pages[name].locator("#chat-log li[data-seq='1']")
        expect(message).not_to_have_class(MENTIONS_ME)
        expect(message.locator(".mention-note")).to_have_count(0)

    # Tokens, on every page: the trailing comma is not part of the name, markup around a name
    # is text, and the `@` of an email address starts no token.
    for page in pages.values():
        tokens = page.locator("#chat-log li[data-seq='1'] .body .mention")
        expect(tokens).to_have_text(["@bob", "@nobody"])
        expect(page.locator("#chat-log li[data-seq='1'] .body b")).to_have_count(0)
    expect(pages["bob"].locator("#chat-log li[data-seq='1'] .mention.me")).to_have_text("@bob")
    # A screen reader hears it too: bob's page says who mentions him; the others' do not.
    said = "@bob, the kettle is on. Tell <b>@nobody</b> (mail me: a@b.org)"
    expect(pages["bob"].locator("#live-messages p").last).to_have_text(
        f"alice, mentioning you: {said}"
    )
    expect(pages["charlie"].locator("#live-messages p").last).to_have_text(f"alice: {said}")
    expect(pages["alice"].locator("#live-messages p").last).to_have_text(f"You: {said}")
    assert violations(pages["bob"]) == []

    # From history too.
    pages["bob"].reload()
    open_room(pages["bob"], room)
    expect(pages["bob"].locator("#chat-log li[data-seq='1']")).to_have_class(MENTIONS_ME)
    pages["charlie"].reload()
    open_room(pages["charlie"], room)
    expect(pages["charlie"].locator("#chat-log li[data-seq='1']")).not_to_have_class(MENTIONS_ME)
