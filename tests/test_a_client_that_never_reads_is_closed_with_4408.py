"""A client that never reads costs the server a bounded amount of memory: what the server
owes it, answers and room frames alike, queues in its outbox, and once that passes
CHAT_SOCKET_BUFFER_BYTES the server closes it with 4408 and drops the rest, while the
sockets that read carry on. Against the real web process (uvicorn), whose resident memory is
read from /proc while a client floods it.

Measured before the outbox and one-page resumes: each `resume` from 0 streamed the whole
room, the consumer stalled on a client that did not read, and no close ever came."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from websockets.sync.client import connect as ws_connect

from accounts.models import User
from chat.models import Room
from tests.browser.server import LiveServer
from tests.conftest import fill_room, session_cookie
from tests.real_server import RawSocket, vm_rss_kib

pytestmark = pytest.mark.django_db(transaction=True)

ROOM_SIZE = 10_000
BODY_CHARS = 2_000
# Each answer is a page of up to CHAT_MAX_PAGE_BYTES (256 KiB): queued whole, these would
# take about 100 MiB.
FLOOD = 400
# What the server may grow by while it is flooded: the outbox (1 MiB) and the pages read
# for it, with room for the allocator's slack. Measured: 1.5 MiB; with the outbox unbounded,
# 25 MiB after 6 s and 43 MiB after 10 s on a busy two-core machine.
ALLOWED_GROWTH_KIB = 12 * 1024
WATCH_SECONDS = 6


def test_a_flood_of_resumes_from_a_client_that_never_reads_is_closed_with_4408(
    serve: Callable[..., LiveServer], alice: User, room: Room
) -> None:
    fill_room(room, alice, ROOM_SIZE, body_chars=BODY_CHARS)
    # Only the outbox's bound is under test: the per-socket frame cap would close it too.
    server = serve(CHAT_FRAME_LIMIT="0")
    url = f"ws://127.0.0.1:{server.port}/ws/chat/{room.slug}/"
    cookie = session_cookie(alice).decode()
    assert server.process is not None

    # A client that reads, first, so the process has loaded all it needs for a resume.
    reader = RawSocket(url, cookie, receive_buffer=1 << 20)
    reader.send_text(json.dumps({"type": "resume", "after_seq": 0}))
    reader._read_until(lambda: any('"resumed"' in text for text in reader.texts()), 10)
    reader.close()
    before = vm_rss_kib(server.process.pid)

    flooder = RawSocket(url, cookie)
    for _ in range(FLOOD):
        flooder.send_text(json.dumps({"type": "resume", "after_seq": 0}))
    peak = before
    for _ in range(WATCH_SECONDS * 4):
        time.sleep(0.25)
        peak = max(peak, vm_rss_kib(server.process.pid))

    assert peak - before < ALLOWED_GROWTH_KIB, f"the server grew by {peak - before} KiB"
    assert flooder.read_until_closed(timeout=30) == 4408
    flooder.close()


# About 8 MB of room frames: more than the kernel's socket buffers take (its send buffer
# grows to 4 MB at most here; the idle client's receive buffer is a few KiB) plus the 1 MiB
# outbox.
BUSY_ROOM_MESSAGES = 2_000


def test_a_listener_that_never_reads_in_a_busy_room_is_closed_with_4408(
    serve: Callable[..., LiveServer], alice: User, bob: User, room: Room
) -> None:
    server = serve(CHAT_RATE_LIMIT="0", CHAT_FRAME_LIMIT="0")
    url = f"ws://127.0.0.1:{server.port}/ws/chat/{room.slug}/"
    idle = RawSocket(url, session_cookie(bob).decode())

    # The sender reads everything (an unbounded queue in its client): it is never closed.
    with ws_connect(
        url,
        origin=server.url,
        additional_headers={"Cookie": session_cookie(alice).decode()},
        max_queue=None,
    ) as sender:
        for n in range(BUSY_ROOM_MESSAGES):
            body = f"{n} ".ljust(BODY_CHARS * 2, "y")
            sender.send(json.dumps({"type": "message.send", "body": body, "client_id": f"c{n}"}))
        acks = 0
        while acks < BUSY_ROOM_MESSAGES:
            acks += json.loads(sender.recv(timeout=30))["type"] == "ack"

    assert idle.read_until_closed(timeout=10) == 4408
    heard = [json.loads(text) for text in idle.texts()]
    assert 0 < len(heard) < BUSY_ROOM_MESSAGES
    idle.close()
