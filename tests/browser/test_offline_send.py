"""A message written without a connection waits on the page and goes out once the
connection is back: saved exactly once, shown exactly once, to its author and to others."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from accounts.models import User
from chat.models import Message, Room
from tests.browser.server import LiveServer
from tests.browser.support import (
    RECONNECT_TIMEOUT_MS,
    Page,
    expect,
    log_bodies,
    open_room,
    send,
    wait_connected,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_in_room(new_page: Callable[..., Page], user: User, room: Room) -> Page:
    page = new_page(user)
    open_room(page, room)
    return page


def saved(room: Room, body: str) -> int:
    return Message.objects.filter(room=room, body=body).count()


def test_message_sent_while_offline_is_delivered_once_when_back_online(
    new_page: Callable[..., Page], room: Room, alice: User, bob: User
) -> None:
    page = page_in_room(new_page, alice, room)
    other = page_in_room(new_page, bob, room)

    page.context.set_offline(True)
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "offline")
    send(page, "written on the train")

    pending = page.locator("#chat-log li.pending")
    expect(pending).to_have_count(1)
    expect(pending).to_have_attribute("data-state", "queued")
    expect(pending.locator(".body")).to_have_text("written on the train")
    assert saved(room, "written on the train") == 0

    page.context.set_offline(False)
    wait_connected(page)
    expect(page.locator("#chat-log li[data-seq='1'] .body")).to_have_text("written on the train")
    expect(pending).to_have_count(0)
    expect(other.locator("#chat-log li[data-seq='1'] .body")).to_have_text("written on the train")

    assert saved(room, "written on the train") == 1
    assert log_bodies(page) == ["written on the train"]
    assert log_bodies(other) == ["written on the train"]


def test_messages_queued_while_the_server_is_down_go_out_once_and_in_order(
    new_page: Callable[..., Page], server: LiveServer, room: Room, alice: User
) -> None:
    page = page_in_room(new_page, alice, room)

    server.stop()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "reconnecting")
    send(page, "first while down")
    send(page, "second while down")
    expect(page.locator("#chat-log li.pending")).to_have_count(2)
    server.start()

    wait_connected(page)
    expect(page.locator("#chat-log li.pending")).to_have_count(0, timeout=RECONNECT_TIMEOUT_MS)
    assert log_bodies(page) == ["first while down", "second while down"]
    assert list(Message.objects.filter(room=room).order_by("seq").values_list("body", "seq")) == [
        ("first while down", 1),
        ("second while down", 2),
    ]


@pytest.mark.parametrize("lost", ["the send", "the ack"])
def test_a_send_cut_off_by_a_dropped_socket_is_saved_once(
    new_page: Callable[..., Page], room: Room, alice: User, lost: str
) -> None:
    """The socket dies right after the page sends: before the server got the message, or
    after it saved it but before the page heard back. Either way the page gets it saved,
    with the one client_id it chose, and shows it once."""
    page = new_page(alice)
    sends: list[dict] = []
    connections = 0

    def relay(ws) -> None:
        nonlocal connections
        connections += 1
        cutting = connections == 1
        upstream = ws.connect_to_server()

        def from_page(text: str) -> None:
            frame = json.loads(text)
            if frame.get("type") == "message.send":
                sends.append(frame)
                if cutting and lost == "the send":
                    ws.close(code=1011, reason="lost on the way")
                    return
            upstream.send(text)

        def from_server(text: str) -> None:
            frame = json.loads(text)
            if cutting and lost == "the ack" and frame.get("type") in {"ack", "message"}:
                ws.close(code=1011, reason="lost on the way back")
                return
            ws.send(text)

        ws.on_message(from_page)
        upstream.on_message(from_server)

    page.route_web_socket("**/ws/chat/**", relay)
    open_room(page, room)

    send(page, "did this arrive?")
    expect(page.locator("#chat-log li[data-seq='1'] .body")).to_have_text(
        "did this arrive?", timeout=RECONNECT_TIMEOUT_MS
    )
    expect(page.locator("#chat-log li.pending")).to_have_count(0)

    assert connections == 2
    assert saved(room, "did this arrive?") == 1
    assert log_bodies(page) == ["did this arrive?"]
    assert len({frame["client_id"] for frame in sends}) == 1
    if lost == "the send":
        # Sent again after the reconnect, under the same client_id.
        assert len(sends) == 2
    else:
        # The resume brought the saved message back, which settled it: nothing to resend.
        assert len(sends) == 1
