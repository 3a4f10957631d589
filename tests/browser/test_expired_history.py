"""After retention prunes a room, scrolling back reaches the oldest kept message and then
says the earlier history has expired, instead of claiming the room began there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from chat import retention
from chat.models import Room
from tests.browser.support import Page, expect, log_seqs, open_room
from tests.conftest import fill_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_scrolling_back_ends_at_the_expired_history_line(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    fill_room(room, alice, 120)
    room.messages.filter(seq__lte=40).update(created_at=timezone.now() - timedelta(days=200))
    assert retention.prune_messages().deleted == {"general": 40}

    page = new_page(alice)
    open_room(page, room)
    edge = page.locator("#log-edge")
    for _ in range(5):
        if edge.get_attribute("data-state") == "limited":
            break
        page.locator("#log-scroller").evaluate("scroller => { scroller.scrollTop = 0; }")
        expect(edge).not_to_have_attribute("data-state", "loading")
    expect(edge).to_have_attribute("data-state", "limited")
    expect(edge).to_have_text("Older messages are no longer kept.")
    assert log_seqs(page) == list(range(41, 121))
