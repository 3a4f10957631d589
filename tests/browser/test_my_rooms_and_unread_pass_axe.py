"""axe-core finds nothing on the pages this issue adds to: the index with "My rooms"
showing unread and mention badges, and a room with its sidebar, day separators and the
"New messages" line; at a desktop's and a phone's size, in the light and the dark scheme."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from chat import services
from chat.models import Message, Room, RoomMembership
from tests.browser.axe import violations
from tests.browser.support import Page, expect, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_my_rooms_and_the_unread_line_have_no_axe_violation(
    new_page: Callable[..., Page],
    room: Room,
    alice: User,
    bob: User,
    viewport: dict,
    color_scheme: str,
) -> None:
    kitchen = Room.objects.create(name="Kitchen", slug="kitchen", created_by=bob)
    for target in (room, kitchen):
        RoomMembership.objects.create(room=target, user=alice, last_read_seq=0)
    old = services.post_message(room, bob, "from the day before", "old").message
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    services.post_message(room, bob, "@alice have you seen this?", "new")
    services.post_message(kitchen, bob, "@alice lunch?", "lunch")
    page = new_page(alice, viewport=viewport, color_scheme=color_scheme, axe=True)
    found: dict[str, list[str]] = {}

    page.goto("/")
    expect(page.locator("nav.my-rooms li[data-room='kitchen'] .badge.mention")).to_be_visible()
    found["/ with badges"] = violations(page)

    page.goto(room.get_absolute_url())
    wait_connected(page)
    expect(page.locator("#unread-line")).to_be_attached()
    expect(page.locator("#chat-log li.day-line")).to_have_count(2)
    found["room with days and the unread line"] = violations(page)

    found = {state: lines for state, lines in found.items() if lines}
    assert not found, "axe found:\n" + "\n".join(
        f"{state}\n  " + "\n  ".join(lines) for state, lines in found.items()
    )
