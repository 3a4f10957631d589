"""A room is only for people who are signed in: a stranger is sent to the login page, and
signing in there brings them back to the room."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_anonymous_visit_to_a_room_redirects_to_login_and_back(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    page = new_page()

    page.goto(room.get_absolute_url())

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/chat/general/$"))
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    expect(page.locator("#chat-log")).to_have_count(0)

    page.get_by_label("Login").fill("alice")
    page.get_by_label("Password", exact=True).fill("alice-pw-1")
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(re.compile(r"/chat/general/$"))
    wait_connected(page)
