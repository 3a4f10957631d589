"""The whole first visit, through the real forms: sign up, log in, open a room, talk; the
other person sees it live, and both find it again after a reload."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from accounts.models import User
from chat.models import Message
from tests.browser.support import (
    Page,
    expect,
    log_bodies,
    log_seqs,
    send,
    sign_up,
    wait_connected,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "room.png"
PHONE_SCREENSHOT = SCREENSHOT.with_name("room-phone.png")
PHONE = {"width": 390, "height": 760}


def log_in(page: Page, login: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_two_people_sign_up_and_talk_live_and_in_history(new_page: Callable[..., Page]) -> None:
    alice = new_page()
    sign_up(alice, "alice", "a-long-pass-phrase-1")
    alice.get_by_role("button", name="Log out").click()
    expect(alice.get_by_role("heading", name="Sign In")).to_be_visible()
    log_in(alice, "alice@example.com", "a-long-pass-phrase-1")

    alice.get_by_label("Room name").fill("Tea Room")
    alice.get_by_role("button", name="Open room").click()
    expect(alice).to_have_url(re.compile(r"/chat/tea-room/$"))
    expect(alice.get_by_role("heading", name="Tea Room")).to_be_visible()
    wait_connected(alice)

    # Bob is on a phone.
    bob = new_page(viewport=PHONE)
    sign_up(bob, "bob", "another-pass-phrase-2")
    bob.get_by_role("link", name="Tea Room").click()
    wait_connected(bob)

    send(alice, "Hello Bob!\nThe kettle is on.")
    # Acked: the pending copy is gone and the message sits at its seq.
    mine = alice.locator("#chat-log li.msg.own[data-seq='1']")
    expect(mine.locator(".body")).to_have_text("Hello Bob!\nThe kettle is on.")
    expect(alice.locator("#chat-log li.pending")).to_have_count(0)

    # Live on Bob's page, as someone else's message.
    theirs = bob.locator("#chat-log li.msg[data-seq='1']")
    expect(theirs.locator(".body")).to_have_text("Hello Bob!\nThe kettle is on.")
    expect(theirs.locator(".author")).to_have_text("alice")
    expect(theirs).not_to_have_class(re.compile(r"\bown\b"))

    send(bob, "Lovely, two sugars please.")
    expect(alice.locator("#chat-log li.msg[data-seq='2'] .body")).to_have_text(
        "Lovely, two sugars please."
    )
    send(alice, "Coming right up ☕")
    expect(bob.locator("#chat-log li.msg[data-seq='3'] .body")).to_have_text("Coming right up ☕")

    conversation = [
        "Hello Bob!\nThe kettle is on.",
        "Lovely, two sugars please.",
        "Coming right up ☕",
    ]
    # Live, each message once on each page: the sender's copy from its ack was replaced by
    # the broadcast, not doubled.
    for page in (alice, bob):
        expect(page.locator("#chat-log li.msg")).to_have_count(3)
        assert log_seqs(page) == [1, 2, 3]
        assert log_bodies(page) == conversation
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == conversation
    assert User.objects.filter(username__in=["alice", "bob"]).count() == 2

    for page in (alice, bob):
        page.reload()
        wait_connected(page)
        expect(page.locator("#chat-log li[data-seq]")).to_have_count(3)
        assert log_bodies(page) == conversation
        expect(page.locator("#log-edge")).to_have_text("This is the beginning of the room.")

    # The pictures of the room page in the README come from this run: Alice's desktop, and
    # Bob's phone.
    alice.locator("#composer-input").fill("Milk first?")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    alice.screenshot(path=SCREENSHOT)
    bob.locator("#composer-input").blur()
    bob.screenshot(path=PHONE_SCREENSHOT)
