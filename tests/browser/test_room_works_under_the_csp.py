"""Parley works in a real browser under its Content-Security-Policy, and the browser reports
no violation: the room page (its module scripts, its JSON data blocks, the socket, the
history API, live messages), the index, and the admin pages a moderator uses, the ban form's
user autocomplete included."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.support import Page, expect, log_bodies, open_room, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Registered before any page script runs; Playwright's init scripts are not subject to CSP.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def watch(page: Page) -> list[str]:
    """Console lines about the policy, as Chromium logs each refusal."""
    console: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    return console


def assert_no_violations(page: Page, console: list[str]) -> None:
    assert page.evaluate("window.cspViolations") == []
    assert console == []


def test_the_room_works_under_the_csp_with_no_violation(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    services.post_message(room, bob, "from the history", "h1")
    page = new_page(alice)
    console = watch(page)
    other = new_page(bob)
    other_console = watch(other)

    response = page.goto(room.get_absolute_url())
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    open_room(page, room)
    open_room(other, room)

    # The history embedded in the page, then a message over the socket, both ways.
    assert log_bodies(page) == ["from the history"]
    send(page, "hello under the policy")
    expect(other.locator("#chat-log li[data-seq]")).to_have_count(2)
    assert log_bodies(other) == ["from the history", "hello under the policy"]

    # The history API, as scrolling back and reconnecting use it.
    status = page.evaluate(
        "fetch(document.querySelector('.chat').dataset.historyUrl).then(r => r.status)"
    )
    assert status == 200

    page.goto("/")
    expect(page.locator("ul.rooms").get_by_role("link", name="General")).to_be_visible()
    assert_no_violations(page, console)
    assert_no_violations(other, other_console)


def test_the_moderators_admin_works_under_the_csp_with_no_violation(
    new_page: Callable[..., Page], room: Room, moderator: User, bob: User
) -> None:
    page = new_page(moderator)
    console = watch(page)
    pages = ["/admin/", "/admin/chat/room/", "/admin/chat/message/", "/admin/chat/roomban/"]
    pages += [f"/admin/chat/room/{room.pk}/change/", "/admin/admin/logentry/"]
    for url in pages:
        page.goto(url)
        assert_no_violations(page, console)

    # The ban form: its user field's autocomplete (select2) finds bob by username.
    page.goto("/admin/chat/roomban/add/")
    page.locator(".field-user .select2-selection").click()
    page.locator(".select2-search__field").fill("bo")
    expect(page.locator(".select2-results__option")).to_have_text(["bob"])
    assert_no_violations(page, console)
