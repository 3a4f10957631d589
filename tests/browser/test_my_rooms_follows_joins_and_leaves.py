"""The My rooms list follows the rooms alice joins and leaves in her other tabs
(`rooms.changed`): opening a room adds it to the list on the index she has open, and
"Leave room" takes it off again."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_joining_and_leaving_elsewhere_updates_the_list(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    kitchen = Room.objects.create(name="Kitchen", slug="kitchen", created_by=bob)
    index = new_page(alice)
    open_room(index, room)
    index.goto("/")
    rooms = index.locator("nav.my-rooms li")
    expect(rooms).to_have_count(1)

    other = index.context.new_page()
    open_room(other, kitchen)
    expect(rooms).to_have_count(2)
    expect(index.locator("nav.my-rooms li[data-room='kitchen']")).to_contain_text("Kitchen")

    other.get_by_role("button", name="Leave room").click()
    expect(other).to_have_url("/")
    expect(rooms).to_have_count(1)
    expect(index.locator("nav.my-rooms li[data-room='kitchen']")).to_have_count(0)
