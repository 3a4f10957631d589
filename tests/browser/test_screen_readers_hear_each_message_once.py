"""What a screen reader is given to say, counted as additions to the page's live regions
(any element with aria-live, or role log, status or alert): a message sent is added once on
the sender's page and once on the other's, though the sender's page shows it three times
over (typed, acked, broadcast); a page of history loaded by scrolling adds nothing; a lost
connection, getting it back, and "new messages below" are each said once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.browser.server import LiveServer
from tests.browser.support import Page, expect, open_room, send, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Installed before the page's own scripts: records the text of every node added inside a
# live region, and of every live region added, from the moment the test says "now".
RECORD_LIVE_ADDITIONS = """
window.liveAdditions = [];
const LIVE = '[aria-live]:not([aria-live="off"]), [role="log"], [role="status"], [role="alert"]';
new MutationObserver((records) => {
  for (const record of records) {
    const target = record.target.nodeType === Node.ELEMENT_NODE
      ? record.target : record.target.parentElement;
    const region = target?.closest(LIVE);
    const nodes = record.type === "characterData" ? [record.target] : [...record.addedNodes];
    for (const node of nodes) {
      const isLive = node.nodeType === Node.ELEMENT_NODE && node.matches(LIVE);
      const live = region ?? (isLive ? node : null);
      const text = (node.textContent ?? "").trim();
      if (live && text) window.liveAdditions.push({ region: live.id || live.className, text });
    }
  }
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


def listening(page: Page) -> Page:
    page.add_init_script(RECORD_LIVE_ADDITIONS)
    return page


def heard(page: Page) -> list[str]:
    """What was added to live regions since the last call, but for the "is typing" line: a
    sender types before sending, and what that line says, and how often, is
    tests/browser/test_who_is_typing.py's claim."""
    return page.evaluate(
        "() => window.liveAdditions.splice(0).filter(a => a.region !== 'typing').map(a => a.text)"
    )


def test_a_sent_message_is_announced_once_on_each_page(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    sender = listening(new_page(alice))
    open_room(sender, room)
    reader = listening(new_page(bob))
    open_room(reader, room)
    heard(sender), heard(reader)

    send(sender, "Is the kettle on?")
    expect(reader.locator("#chat-log li[data-seq='1']")).to_contain_text("Is the kettle on?")
    # The sender's own broadcast lands about when the reader's does; give it time to.
    sender.wait_for_timeout(500)
    expect(sender.locator("#chat-log li.msg")).to_have_count(1)

    assert heard(sender) == ["You: Is the kettle on?"]
    assert heard(reader) == ["alice: Is the kettle on?"]

    send(reader, "It is.")
    expect(sender.locator("#chat-log li[data-seq='2']")).to_contain_text("It is.")
    reader.wait_for_timeout(500)
    assert heard(sender) == ["bob: It is."]
    assert heard(reader) == ["You: It is."]


def test_pages_of_history_loaded_by_scrolling_are_not_announced(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    for number in range(1, 131):
        services.post_message(room, bob, f"Old message {number}", f"old-{number}")
    page = listening(new_page(alice))
    open_room(page, room)
    heard(page)

    for oldest in (31, 1):
        page.locator("#log-scroller").evaluate("scroller => { scroller.scrollTop = 0; }")
        expect(page.locator(f"#chat-log li[data-seq='{oldest}']")).to_be_attached()
    expect(page.locator("#log-edge")).to_have_attribute("data-state", "beginning")
    assert heard(page) == []


def test_new_messages_below_is_said_once_while_reading_further_up(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    for number in range(1, 41):
        services.post_message(room, bob, f"Earlier {number}", f"earlier-{number}")
    page = listening(new_page(alice))
    open_room(page, room)
    other = new_page(bob)
    open_room(other, room)
    page.locator("#log-scroller").evaluate("scroller => { scroller.scrollTop = 0; }")
    heard(page)

    send(other, "one")
    send(other, "two")
    expect(page.locator("#chat-log li[data-seq='42']")).to_be_attached()
    expect(page.get_by_role("button", name="New messages")).to_be_visible()
    page.wait_for_timeout(300)
    said = heard(page)
    assert said.count("bob: one") == 1 and said.count("bob: two") == 1
    assert [line for line in said if line.startswith("New messages below")] == [
        "New messages below. Press Escape to jump to the latest."
    ]


def test_losing_and_regaining_the_connection_are_each_said_once(
    new_page: Callable[..., Page], server: LiveServer, room: Room, alice: User
) -> None:
    page = listening(new_page(alice))
    open_room(page, room)
    # Opening the room is not news: "Connected" the first time is not read out.
    assert heard(page) == []

    server.stop()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "reconnecting")
    # Several attempts fail while the server is down (backoff from 0.5 s), each one setting
    # the same status again.
    page.wait_for_timeout(2500)
    server.start()
    wait_connected(page)

    said = heard(page)
    assert len(said) == 2, said
    lost, back = said
    # Which words say it depends on how the server went (a restart closes with 1012).
    assert lost in {"Connection lost. Reconnecting…", "The server is restarting. Reconnecting…"}
    assert back == "Connected again."
