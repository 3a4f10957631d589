"""Flash messages (like "Successfully signed in") can be dismissed from the keyboard, with
focus kept in the page, and the ones that only confirm something fade away by themselves,
though not while focus is on them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from accounts.models import User
from tests.browser.support import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Login").fill("alice")
    page.get_by_label("Password", exact=True).fill("alice-pw-1")
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_a_flash_message_is_dismissed_from_the_keyboard(
    new_page: Callable[..., Page], alice: User
) -> None:
    page = new_page()
    sign_in(page)
    notice = page.get_by_role("status").filter(has_text="Successfully signed in as alice.")
    expect(notice).to_be_visible()

    dismiss = notice.get_by_role("button", name="Dismiss")
    dismiss.focus()
    page.keyboard.press("Enter")
    expect(notice).to_have_count(0)
    expect(page.locator("main")).to_be_focused()


def test_a_confirmation_fades_by_itself_but_not_while_it_has_focus(
    new_page: Callable[..., Page], alice: User
) -> None:
    page = new_page()
    # The page's timers run on a clock the test moves; the fade itself is real.
    page.clock.install()
    sign_in(page)
    notice = page.locator(".flash li", has_text="Successfully signed in")
    expect(notice).to_be_visible()

    notice.get_by_role("button", name="Dismiss").focus()
    page.clock.run_for(30_000)
    expect(notice).to_be_visible()

    page.locator("#room-search").focus()
    page.clock.run_for(5_000)
    expect(notice).to_be_visible()
    page.clock.run_for(5_000)
    expect(page.locator(".flash")).to_have_count(0)
