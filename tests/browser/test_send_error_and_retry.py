"""A message the server refuses stays on the page with the reason, a Retry button that sends
it again under the same client_id, and a Discard button."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Message, Room
from tests.browser.support import Page, expect, log_bodies, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSAL = "The database is unavailable; nothing was saved. Retry with the same client_id."


def test_refused_message_shows_why_and_retry_sends_it_once(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    page = new_page(alice)
    sends: list[dict] = []
    refusals = 2  # the first two sends are answered as if the database were down

    def relay(ws) -> None:
        upstream = ws.connect_to_server()

        def from_page(text: str) -> None:
            nonlocal refusals
            frame = json.loads(text)
            if frame.get("type") == "message.send":
                sends.append(frame)
                if refusals:
                    refusals -= 1
                    error = {
                        "type": "error",
                        "code": "unavailable",
                        "detail": REFUSAL,
                        "client_id": frame["client_id"],
                    }
                    ws.send(json.dumps(error))
                    return
            upstream.send(text)

        ws.on_message(from_page)
        upstream.on_message(lambda text: ws.send(text))

    page.route_web_socket("**/ws/chat/**", relay)
    open_room(page, room)

    send(page, "try me again")
    refused = page.locator("#chat-log li.pending", has_text="try me again")
    expect(refused).to_have_attribute("data-state", "error")
    expect(refused.get_by_role("alert")).to_contain_text(REFUSAL)

    send(page, "never mind this one")
    discarded = page.locator("#chat-log li.pending", has_text="never mind this one")
    expect(discarded).to_have_attribute("data-state", "error")
    discarded.get_by_role("button", name="Discard").click()
    expect(discarded).to_have_count(0)

    refused.get_by_role("button", name="Retry").click()
    expect(page.locator("#chat-log li[data-seq='1'] .body")).to_have_text("try me again")
    expect(page.locator("#chat-log li.pending")).to_have_count(0)

    assert [frame["body"] for frame in sends] == [
        "try me again",
        "never mind this one",
        "try me again",
    ]
    assert sends[0]["client_id"] == sends[2]["client_id"]
    assert list(Message.objects.values_list("body", flat=True)) == ["try me again"]
    assert log_bodies(page) == ["try me again"]
