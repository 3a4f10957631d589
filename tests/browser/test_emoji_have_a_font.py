"""Emoji are drawn from a colour emoji font wherever the system has one: message text, the
message box and room names all use a font stack that names each platform's emoji font
after the text fonts (with none named, a system whose default font lacks emoji draws boxes)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMOJI_FONTS = ["Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji"]


def families(page: Page, selector: str) -> list[str]:
    stack = page.locator(selector).first.evaluate("el => getComputedStyle(el).fontFamily")
    return [name.strip().strip('"') for name in stack.split(",")]


def test_text_people_write_has_emoji_fonts_in_its_stack(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    services.post_message(room, bob, "Tea? ☕🫖", "tea")
    page = new_page(alice)
    page.goto("/")
    where = {"room name": families(page, ".rooms .room-name")}
    open_room(page, room)
    where["message"] = families(page, "#chat-log .body")
    where["message box"] = families(page, "#composer-input")

    for place, stack in where.items():
        missing = [font for font in EMOJI_FONTS if font not in stack]
        assert not missing, f"{place}: {missing} not in {stack}"
        # After the text fonts, so letters keep coming from those.
        assert stack.index("sans-serif") < stack.index("Noto Color Emoji"), place
