"""Chat text is text. Bodies that look like HTML show as the characters typed, whether they
come with the page (initial history) or arrive over the socket, and never run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect, log_bodies, open_room, send, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
]


def watch_dialogs(page: Page) -> list[str]:
    dialogs: list[str] = []

    def record(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return dialogs


def assert_inert(page: Page) -> None:
    expect(page.locator("#chat-log img")).to_have_count(0)
    expect(page.locator("#chat-log script")).to_have_count(0)
    # The only scripts on the page are its JSON data blocks and its own module.
    scripts = page.locator("script")
    types = [scripts.nth(n).get_attribute("type") for n in range(scripts.count())]
    assert sorted(types) == ["application/json"] * 5 + ["module"]


def test_html_in_messages_shows_as_text_and_never_runs(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    for number, body in enumerate(PAYLOADS):
        services.post_message(room, bob, body, f"stored-{number}")

    page = new_page(alice)
    dialogs = watch_dialogs(page)
    open_room(page, room)
    other = new_page(bob)
    other_dialogs = watch_dialogs(other)
    open_room(other, room)

    # From the initial history, embedded in the page.
    assert log_bodies(page) == PAYLOADS
    assert_inert(page)

    # Live, both to the sender and to the other person.
    for body in PAYLOADS:
        send(page, body)
    expect(page.locator("#chat-log li[data-seq]")).to_have_count(4)
    expect(other.locator("#chat-log li[data-seq]")).to_have_count(4)
    assert log_bodies(page) == PAYLOADS * 2
    assert log_bodies(other) == PAYLOADS * 2
    assert_inert(page)
    assert_inert(other)

    # And again after a reload, where all four come from the server-rendered history.
    page.reload()
    wait_connected(page)
    assert log_bodies(page) == PAYLOADS * 2
    assert_inert(page)

    assert dialogs == []
    assert other_dialogs == []
