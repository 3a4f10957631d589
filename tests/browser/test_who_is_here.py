"""The room page lists who is here: alice, bob and charlie each see all three (themselves
marked "(you)"), a second tab of bob's adds no second bob, and when charlie's page closes
he drops off the others' lists within the 5 s docs/protocol.md promises. The list is a
labelled list, not a live region, and axe finds nothing on the page while it shows."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.axe import violations
from tests.browser.support import Page, expect, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# docs/protocol.md: presence.leave within 5 s of a person's last socket closing. The page
# redraws the list as the frame lands, so a little slack is for the page, not the server.
LEAVE_WITHIN_S = 5
PAGE_SLACK_S = 0.5


def here(page: Page):
    return page.get_by_role("list", name="Here now")


def names_here(page: Page) -> list[str]:
    return here(page).locator("li .name").all_inner_texts()


def test_everyone_here_is_listed_and_a_closed_page_drops_off(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User, charlie: User
) -> None:
    pages = {}
    for user in (alice, bob, charlie):
        pages[user.username] = new_page(user, axe=True)
        open_room(pages[user.username], room)

    for name, page in pages.items():
        expect(here(page).locator("li .name")).to_have_text(["alice", "bob", "charlie"])
        expect(here(page).locator("li.me")).to_have_text(f"{name} (you)")
        expect(page.locator("#people-count")).to_have_text("3 people here")
    # Not announced: a list of people is read when someone looks at it, not as it changes.
    live = "el => el.closest('[aria-live], [role=log], [role=status], [role=alert]') !== null"
    assert here(pages["alice"]).evaluate(live) is False
    assert violations(pages["alice"]) == []

    # A second tab is the same person, once.
    second_tab = new_page(bob)
    open_room(second_tab, room)
    expect(here(second_tab).locator("li .name")).to_have_text(["alice", "bob", "charlie"])
    pages["alice"].wait_for_timeout(500)
    assert names_here(pages["alice"]) == ["alice", "bob", "charlie"]

    pages["charlie"].close()
    closed_at = time.monotonic()
    within_ms = (LEAVE_WITHIN_S + PAGE_SLACK_S) * 1000
    for name in ("alice", "bob"):
        remaining = within_ms - (time.monotonic() - closed_at) * 1000
        expect(here(pages[name]).locator("li .name")).to_have_text(
            ["alice", "bob"], timeout=max(remaining, 1)
        )
    expect(pages["alice"].locator("#people-count")).to_have_text("2 people here")

    # Closing one of bob's two tabs leaves him here.
    second_tab.close()
    pages["alice"].wait_for_timeout(LEAVE_WITHIN_S * 1000 + 500)
    assert names_here(pages["alice"]) == ["alice", "bob"]
