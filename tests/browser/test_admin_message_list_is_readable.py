"""A moderator can read the message list in the admin, on a desktop and on a phone: the
body column is wide enough for several words a line (never one word a line), on a phone it
is on screen without scrolling sideways, and a long body is cut short there, with the full
text on the message's own page."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
LONG = (
    "Could whoever keeps leaving the milk out of the fridge please stop doing that, "
    "because by the afternoon it has turned and nobody can have a proper cup of tea."
)


@pytest.mark.parametrize(
    ("viewport", "widest_line_count"),
    [(DESKTOP, 3), (PHONE, 6)],
    ids=["desktop", "phone"],
)
def test_the_message_list_shows_bodies_readably(
    new_page: Callable[..., Page],
    room: Room,
    bob: User,
    moderator: User,
    viewport: dict,
    widest_line_count: int,
) -> None:
    message = services.post_message(room, bob, LONG, "long").message
    page = new_page(moderator, viewport=viewport)
    page.goto("/admin/chat/message/")

    cell = page.locator("#result_list td.field-short_body")
    expect(cell).to_have_count(1)
    shown = cell.inner_text()
    assert len(shown) <= 80 and shown.endswith("…")
    box = cell.bounding_box()
    line_height = cell.evaluate("td => parseFloat(getComputedStyle(td).lineHeight) || 16")
    assert box["width"] >= (330 if viewport is DESKTOP else 200)
    assert box["height"] <= line_height * widest_line_count + 16
    # On screen as the page opens, without scrolling sideways.
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]

    cell.get_by_role("link").click()
    expect(page).to_have_url(f"/admin/chat/message/{message.pk}/change/")
    expect(page.locator(".field-body")).to_contain_text(LONG)
