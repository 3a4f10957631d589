"""The newcomer's path, whole: `make run` on a fresh clone with embedded defaults (SQLite,
in-memory channel layer), then two people sign up in real browsers, one creates a room, and
each sees the other's messages live, and again after a reload."""

from __future__ import annotations

import pytest

from tests.browser.support import Browser, expect, log_bodies, send, sign_up, wait_connected
from tests.make_run import fresh_clone, make_run

pytestmark = pytest.mark.browser


def test_two_people_chat_on_a_fresh_make_run(browser: Browser, tmp_path) -> None:
    with make_run(fresh_clone(tmp_path / "parley")) as run:
        alice = browser.new_context(base_url=run.url).new_page()
        bob = browser.new_context(base_url=run.url).new_page()
        sign_up(alice, "alice", "a-long-pass-phrase")
        sign_up(bob, "bob", "another-long-phrase")

        alice.get_by_label("Room name").fill("Lobby")
        alice.get_by_role("button", name="Open room").click()
        wait_connected(alice)
        bob.goto("/")
        bob.get_by_role("link", name="Lobby").click()
        wait_connected(bob)

        send(alice, "Hi Bob")
        expect(bob.locator("#chat-log li.msg[data-seq='1'] .body")).to_have_text("Hi Bob")
        send(bob, "Hi Alice")
        expect(alice.locator("#chat-log li.msg[data-seq='2'] .body")).to_have_text("Hi Alice")

        for page in (alice, bob):
            page.reload()
            wait_connected(page)
            expect(page.locator("#chat-log li[data-seq]")).to_have_count(2)
            assert log_bodies(page) == ["Hi Bob", "Hi Alice"]
        alice.context.close()
        bob.context.close()
