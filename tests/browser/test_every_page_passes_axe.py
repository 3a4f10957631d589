"""axe-core finds nothing, at any impact, on any page Parley renders: the account pages
(log in, sign up, password change and reset, log out), the index (with a flash message),
a room with messages (and with the character count showing) and an empty one, and the 403,
404 and 500 pages; at a desktop's and a
phone's size, in the light and the dark scheme."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from chat import services
from chat.models import Message, Room, RoomBan
from tests.browser.axe import violations
from tests.browser.support import Page, expect, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}


@pytest.fixture
def rooms(room: Room, alice: User, bob: User, moderator: User) -> dict[str, Room]:
    services.post_message(room, bob, "Morning! Anyone up for tea? ☕", "b1")
    services.post_message(room, alice, "Always.", "a1")
    hidden = services.post_message(room, bob, "something regrettable", "b2").message
    # Hidden before any page opens, so straight in the table (the service would broadcast).
    Message.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now(), hidden_by=moderator)
    services.post_message(room, bob, "مرحبا (hello, right to left)", "b3")
    empty = Room.objects.create(name="Quiet corner", slug="quiet-corner", created_by=bob)
    closed = Room.objects.create(name="Closed", slug="closed", created_by=bob)
    RoomBan.objects.create(room=closed, user=alice, kind=RoomBan.Kind.BAN, created_by=moderator)
    return {"general": room, "empty": empty, "closed": closed}


def reset_link(user: User) -> str:
    key = default_token_generator.make_token(user)
    return reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": key},
    )


def check(page: Page, url: str, found: dict[str, list[str]], ready: str | None = None) -> None:
    page.goto(url)
    if ready is not None:
        expect(page.locator(ready)).to_be_visible()
    lines = violations(page)
    if lines:
        found[url] = lines


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_page_has_an_axe_violation(
    new_page: Callable[..., Page],
    rooms: dict[str, Room],
    alice: User,
    viewport: dict,
    color_scheme: str,
) -> None:
    found: dict[str, list[str]] = {}

    visitor = new_page(viewport=viewport, color_scheme=color_scheme, axe=True)
    for url in [
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/no-such-page/",
        "/test/server-error/",
    ]:
        check(visitor, url, found)
    check(visitor, reset_link(alice), found, "#id_password1")
    # Signing in through the form leaves a flash message on the index.
    check(visitor, "/accounts/login/", found)
    visitor.get_by_label("Login").fill("alice")
    visitor.get_by_label("Password", exact=True).fill("alice-pw-1")
    visitor.get_by_role("button", name="Sign In").click()
    expect(visitor.locator(".flash")).to_be_visible()
    lines = violations(visitor)
    if lines:
        found["/ (signed in, with a flash message)"] = lines

    for url in [
        "/",
        "/accounts/password/change/",
        "/accounts/logout/",
        "/chat/no-such-room/",
        rooms["closed"].get_absolute_url(),
    ]:
        check(visitor, url, found)
    for name in ("general", "empty"):
        visitor.goto(rooms[name].get_absolute_url())
        wait_connected(visitor)
        lines = violations(visitor)
        if lines:
            found[rooms[name].get_absolute_url()] = lines
    # The room with the character count showing, near the limit.
    visitor.get_by_label("Message", exact=True).fill("a" * 3900)
    expect(visitor.locator("#composer-count")).to_be_visible()
    lines = violations(visitor)
    if lines:
        found["room with the character count"] = lines

    assert not found, "axe found:\n" + "\n".join(
        f"{url}\n  " + "\n  ".join(lines) for url, lines in found.items()
    )
