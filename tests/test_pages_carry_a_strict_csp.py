"""Every page carries a Content-Security-Policy that allows scripts and styles only from the
site itself (no 'unsafe-inline', no 'unsafe-eval'), and Parley's own pages need nothing more:
no inline script, style or event handler; page data travels in json_script blocks. That the
pages also work in a browser under it: tests/browser/test_room_works_under_the_csp.py."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db

OWN_PAGES = ["/", "/chat/general/", "/accounts/password/change/"]
ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
ADMIN_PAGES = ["/admin/", "/admin/chat/roomban/add/", "/admin/admin/logentry/"]


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style elements and attributes,
    event-handler attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append(f"inline <script> {attrs}")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (directive.split() for directive in header.split(";") if directive)
    }


def assert_strict(response) -> None:
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    everything = " ".join(" ".join(values) for values in directives.values())
    assert "unsafe-inline" not in everything
    assert "unsafe-eval" not in everything


def inline_code(response) -> list[str]:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser.found


@pytest.mark.parametrize("url", OWN_PAGES)
def test_parleys_pages_have_a_strict_policy_and_no_inline_code(client, alice, room, url):
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 200
    assert_strict(response)
    assert inline_code(response) == []


def test_the_room_page_hands_its_data_over_in_json_blocks(client, alice, room):
    client.force_login(alice)
    html = client.get("/chat/general/").content.decode()
    for block in ["initial-history", "current-user", "current-restriction"]:
        assert f'<script id="{block}" type="application/json">' in html


@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_account_pages_have_a_strict_policy_and_no_inline_code(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_strict(response)
    assert inline_code(response) == []


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_have_the_policy_too(client, moderator, url):
    client.force_login(moderator)
    response = client.get(url)
    assert response.status_code == 200
    assert_strict(response)


def test_json_errors_carry_it_as_well(client, alice):
    client.force_login(alice)
    response = client.get("/api/rooms/nowhere/messages/")
    assert response.status_code == 404
    assert_strict(response)
