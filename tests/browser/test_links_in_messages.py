"""Message text reads well and stays safe: a pasted http(s) URL is a working link that opens
in a new tab with rel="noopener noreferrer nofollow ugc"; a javascript: URL is plain text;
`code` and fenced blocks are monospaced; line breaks stay; a long URL wraps on a phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.server import LiveServer
from tests.browser.support import Page, expect, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_url_is_a_link_and_javascript_is_not(
    new_page: Callable[..., Page], room: Room, alice: User, server: LiveServer
) -> None:
    target = f"{server.url}/chat/general/"
    services.post_message(
        room,
        alice,
        f"read {target}. then javascript:alert(document.cookie) and "
        "<a href=javascript:alert(1)>x</a>\nrun `make test` or\n```\nmake run\n```",
        "links",
    )
    page = new_page(alice)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_room(page, room)
    body = page.locator("#chat-log li[data-seq='1'] .body")

    links = body.locator("a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", target)
    expect(links).to_have_attribute("rel", "noopener noreferrer nofollow ugc")
    expect(links).to_have_attribute("target", "_blank")
    expect(body).to_contain_text("javascript:alert(document.cookie)")
    expect(body).to_contain_text("<a href=javascript:alert(1)>x</a>")
    expect(body.locator("code").first).to_have_text("make test")
    expect(body.locator("pre code")).to_have_text("make run")
    assert (
        page.evaluate(
            "() => getComputedStyle(document.querySelector('#chat-log .body pre')).fontFamily"
        )
        .lower()
        .find("mono")
        >= 0
    )

    with page.expect_popup() as opened:
        links.click()
    popup = opened.value
    popup.wait_for_load_state()
    assert popup.url == target
    # noopener: the new tab cannot reach back into the room page.
    assert popup.evaluate("() => window.opener") is None
    body.locator("code").first.click()
    assert dialogs == []


def test_a_long_url_wraps_on_a_phone(
    new_page: Callable[..., Page], room: Room, alice: User
) -> None:
    services.post_message(room, alice, "https://example.com/" + "a" * 300, "long")
    page = new_page(alice, viewport={"width": 360, "height": 640})
    open_room(page, room)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    link = page.locator("#chat-log li[data-seq='1'] .body a")
    assert link.bounding_box()["width"] <= 360
