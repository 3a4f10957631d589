"""Every page names an icon, /favicon.ico (asked for by browsers whatever the page says) is
served, and no page load asks for anything that is not there."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_favicon_is_served_and_no_page_asks_for_a_missing_file(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    page = new_page(alice)
    failed: list[str] = []
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    page.goto("/")
    open_room(page, room)
    page.goto("/accounts/password/change/")
    assert failed == []

    icon = page.locator("link[rel=icon]").get_attribute("href")
    svg = page.request.get(icon)
    assert svg.status == 200 and svg.headers["content-type"].startswith("image/svg+xml")

    ico = page.request.get("/favicon.ico")
    assert ico.status == 200
    assert ico.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert ico.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
