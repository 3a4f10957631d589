"""Past the per-person rate limit (20 messages in 10 s by default) a message is not lost: the
page says it is sending too fast and sends it by itself once the server allows, once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings

from accounts.models import User
from chat.models import Message, Room
from tests.browser.support import Page, expect, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_message_past_the_limit_waits_and_then_goes_out_by_itself(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    count, seconds = settings.CHAT_RATE_LIMIT  # the server runs with the same settings
    page = new_page(alice)
    open_room(page, room)

    for n in range(count + 1):
        send(page, f"quick {n}")

    waiting = page.locator("#chat-log li.pending", has_text=f"quick {count}")
    expect(waiting).to_have_attribute("data-state", "error")
    expect(waiting).to_contain_text("Sending too fast")
    last = page.locator("#chat-log li[data-seq]", has_text=f"quick {count}")
    expect(last).to_have_count(1, timeout=(seconds + 5) * 1000)
    expect(page.locator("#chat-log li.pending")).to_have_count(0)
    bodies = list(Message.objects.order_by("seq").values_list("body", flat=True))
    assert bodies == [f"quick {n}" for n in range(count + 1)]
