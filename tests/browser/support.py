"""Helpers the browser tests share: reading the room page the way a person sees it.

Playwright is imported here once. When it is missing the names below are None and the
`browser` fixture fails the run under CI and skips it elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chat.models import Room

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - reported by the `browser` fixture
    Browser = BrowserContext = Page = None
    expect = sync_playwright = None

__all__ = [
    "Browser",
    "BrowserContext",
    "Page",
    "expect",
    "log_bodies",
    "log_seqs",
    "open_room",
    "send",
    "sign_up",
    "sync_playwright",
    "wait_connected",
]

# A reconnect waits for the page's backoff (0.5 s doubling, with jitter) plus a server start.
RECONNECT_TIMEOUT_MS = 20_000

_SEQS = "els => els.map(el => Number(el.dataset.seq))"
_BODIES = "els => els.map(el => el.querySelector('.body').textContent)"


def log_seqs(page: Page) -> list[int]:
    """The seqs of the messages in the log, in DOM order."""
    return page.eval_on_selector_all("#chat-log li[data-seq]", _SEQS)


def log_bodies(page: Page) -> list[str]:
    """The text of the saved messages in the log, in DOM order."""
    return page.eval_on_selector_all("#chat-log li[data-seq]", _BODIES)


def wait_connected(page: Page, timeout: float = RECONNECT_TIMEOUT_MS) -> None:
    """Connected means the socket is open and its resume has been answered."""
    expect(page.locator("#connection-status")).to_have_attribute(
        "data-state", "connected", timeout=timeout
    )


def send(page: Page, text: str) -> None:
    """Type into the composer and press Enter, as a person does (Shift+Enter between lines)."""
    box = page.get_by_label("Message", exact=True)
    box.click()
    for index, line in enumerate(text.split("\n")):
        if index:
            box.press("Shift+Enter")
        page.keyboard.insert_text(line)
    box.press("Enter")


def sign_up(page: Page, username: str, password: str) -> None:
    """Sign up through allauth's form; the person is signed in straight away."""
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password (again)").fill(password)
    page.get_by_role("button", name="Sign Up").click()
    # Signed in straight away: email verification is optional.
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(username)


def open_room(page: Page, room: Room) -> None:
    """Open the room's page and wait until it is connected and caught up."""
    page.goto(room.get_absolute_url())
    wait_connected(page)
