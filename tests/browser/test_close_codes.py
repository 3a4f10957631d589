"""How the page reacts to the close codes of docs/protocol.md: 4401, 4403 and 4404 stop it
for good with a sentence saying why (4401 with a way to log in again); 1013 means "try again
later", so it backs off and tries again."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Room
from tests.browser.support import Page, expect, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("code", "state", "says"),
    [
        (4401, "signed-out", "You are signed out."),
        (4403, "forbidden", "You are not allowed in this room."),
        (4404, "no-room", "This room does not exist any more."),
    ],
)
def test_final_close_codes_stop_retrying_and_say_why(
    new_page: Callable[..., Page], room: Room, alice: User, code: int, state: str, says: str
) -> None:
    page = new_page(alice)
    attempts: list[str] = []

    def refuse(ws) -> None:
        attempts.append(ws.url)
        ws.close(code=code, reason="refused")

    page.route_web_socket("**/ws/chat/**", refuse)
    page.goto(room.get_absolute_url())

    status = page.locator("#connection-status")
    expect(status).to_have_attribute("data-state", state)
    expect(status).to_contain_text(says)
    expect(page.get_by_label("Message", exact=True)).to_be_disabled()
    if code == 4401:
        login = status.get_by_role("link", name="Log in again")
        expect(login).to_have_attribute(
            "href", re.compile(r"^/accounts/login/\?next=/chat/general/$")
        )
    # The first retry would come within 0.5 s; give it three times that to show up.
    page.wait_for_timeout(1500)
    assert len(attempts) == 1


def test_try_again_later_backs_off_and_connects(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    page = new_page(alice)
    attempts: list[float] = []

    def busy_twice(ws) -> None:
        attempts.append(time.monotonic())
        if len(attempts) <= 2:
            ws.close(code=1013, reason="try again later")
        else:
            ws.connect_to_server()

    page.route_web_socket("**/ws/chat/**", busy_twice)
    page.goto(room.get_absolute_url())

    expect(page.locator("#connection-status")).to_contain_text("The server is busy")
    wait_connected(page)
    assert len(attempts) == 3
    first_wait, second_wait = attempts[1] - attempts[0], attempts[2] - attempts[1]
    # Equal jitter: 0.25-0.5 s, then 0.5-1 s. The upper bounds are loose because a busy
    # machine delays the relay; the lower ones show the page waited and the wait doubled.
    assert 0.2 <= first_wait <= 2
    assert 0.45 <= second_wait <= 3
