"""Real-browser fixtures: Debian's Chromium, driven by Playwright, against the web process serving
project.asgi:application over the test database and Redis.

The server runs in a process of its own, as in production, so these tests see what a person
sees: the socket, its drops and reconnects, the history API. Whatever a test writes must be
committed for that process to read it, hence `transaction=True` on every browser test.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from tests.browser.server import LiveServer
from tests.browser.support import Browser, BrowserContext, Page, expect, sync_playwright
from tests.real_server import RUN_VARIABLES, test_database_url

CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}


def _missing(reason: str) -> None:
    """CI must not pass with the browser tests quietly skipped; a laptop may skip them."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _close_posting_pool() -> None:
    """Replaces the suite's async one: these tests are synchronous (Playwright keeps its own
    loop running in this thread), and their server is another process."""


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API marks its event loop as running in this thread between calls,
    so Django takes the tests' plain synchronous ORM calls (creating users, counting rows,
    the flush after each test) for calls from async code and refuses them. This process runs
    no async code while the browser tests run; the server under test is another process and
    never gets this variable. Scoped to this package so no other test runs with it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


# ---- The server under test ----


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="package")
def _server(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        # Group names are room.<pk>; a prefix of our own keeps another test run's rooms
        # with the same pks out of these pages.
        "CHANNEL_LAYER_PREFIX": f"parley-browser-{os.getpid()}",
        "PYTHONUNBUFFERED": "1",
        # Content types are not cached in the server: tests/browser/apps.py.
        "PARLEY_SERVER_UNDER_TEST": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    # tests/settings.py would replace that prefix with the run's.
    for name in RUN_VARIABLES:
        env.pop(name, None)
    server = LiveServer(_free_port(), env, tmp_path_factory.mktemp("server") / "server.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(_server: LiveServer) -> LiveServer:
    """The running server (started again if an earlier test left it stopped)."""
    if not _server.running:
        _server.start()
    return _server


# ---- The browser ----


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        _missing("Playwright is not installed (make install)")
    if not Path(CHROMIUM).is_file():
        _missing(f"No Chromium at {CHROMIUM} (apt-get install chromium, or set PARLEY_CHROMIUM)")
    # Assertions wait up to 10 s (Playwright's default is 5): a loaded CI machine should
    # make these tests slower, not red.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def log_in(context: BrowserContext, user: User, base_url: str) -> None:
    """Give the browser a real session of `user`, as the login form would."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])


@pytest.fixture
def new_page(browser: Browser, server: LiveServer) -> Iterator[Callable[..., Page]]:
    """Pages in contexts of their own (separate cookies, like separate people), signed in
    as `user` when one is given, in the light or dark colour scheme, with axe-core loaded
    into every document when `axe` is set. Any uncaught script error on a page fails the
    test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def _new_page(
        user: User | None = None,
        *,
        viewport: dict | None = None,
        color_scheme: str = "light",
        axe: bool = False,
    ) -> Page:
        context = browser.new_context(
            base_url=server.url, viewport=viewport or DESKTOP, color_scheme=color_scheme
        )
        contexts.append(context)
        if axe:
            if not AXE_SCRIPT.is_file():
                _missing(f"No axe-core at {AXE_SCRIPT} (make test runs npm ci)")
            # An init script, not add_script_tag: the tag would be an inline script, which
            # the site's CSP refuses, and bypass_csp would check pages under a policy they
            # do not really have. Init scripts run in every document before its own scripts
            # and are not subject to the page's CSP.
            context.add_init_script(path=AXE_SCRIPT)
        if user is not None:
            log_in(context, user, server.url)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield _new_page
    for context in contexts:
        context.close()
    assert not errors, f"script errors on the page: {errors}"
