"""One small frame buys one bounded page: `resume` answers with at most one `history` frame
of at most CHAT_MAX_PAGE_SIZE messages and CHAT_MAX_PAGE_BYTES bytes, then `resumed` with
`has_more`; a client walks a 10,000-message room by asking again. `history` pages of long
messages are cut by bytes too, keeping the newest."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from tests.conftest import fill_room

pytestmark = pytest.mark.django_db(transaction=True)

ROOM_SIZE = 10_000
# Near the 4,000-character limit, so a page of 200 would be 800 KB.
LONG = 3_900


async def answer_to(socket, frame: dict) -> list[str]:
    """Send a frame; the texts the server answers with, up to and including `resumed`."""
    await socket.send_json_to(frame)
    texts = []
    while True:
        text = await socket.receive_from(timeout=10)
        texts.append(text)
        if json.loads(text)["type"] in {"resumed", "error"}:
            return texts


async def test_resume_on_a_10000_message_room_sends_one_bounded_page_per_request(
    alice, room, connect, settings
):
    settings.CHAT_FRAME_LIMIT = None  # the walk asks about 120 times in a few seconds
    await database_sync_to_async(fill_room)(room, alice, ROOM_SIZE, LONG)
    socket = await connect(alice)

    seen: list[int] = []
    after_seq, requests = 0, 0
    while True:
        texts = await answer_to(socket, {"type": "resume", "after_seq": after_seq})
        requests += 1
        *pages, last = texts
        resumed = json.loads(last)
        assert resumed["type"] == "resumed"
        assert len(pages) == 1 or (not pages and not resumed["has_more"])
        for text in pages:
            assert len(text.encode()) <= settings.CHAT_MAX_PAGE_BYTES
            page = json.loads(text)
            assert page["type"] == "history"
            assert 0 < len(page["messages"]) <= settings.CHAT_MAX_PAGE_SIZE
            assert page["has_more"] == resumed["has_more"]
            seen.extend(message["seq"] for message in page["messages"])
        assert resumed["last_seq"] == (seen[-1] if seen else after_seq)
        after_seq = resumed["last_seq"]
        if not resumed["has_more"]:
            break

    assert seen == list(range(1, ROOM_SIZE + 1))
    # 256 KiB holds 64 messages of ~4 KB: bytes, not the count of 200, bounded each page.
    assert requests >= ROOM_SIZE * LONG // settings.CHAT_MAX_PAGE_BYTES


async def test_a_resume_page_of_short_messages_is_bounded_by_count(alice, room, connect):
    await database_sync_to_async(fill_room)(room, alice, 450)
    socket = await connect(alice)

    page, resumed = map(json.loads, await answer_to(socket, {"type": "resume", "after_seq": 0}))

    assert len(page["messages"]) == settings.CHAT_MAX_PAGE_SIZE == 200
    assert resumed == {"type": "resumed", "last_seq": 200, "has_more": True}


async def test_a_history_page_of_200_long_messages_is_cut_by_bytes_keeping_the_newest(
    alice, room, connect
):
    await database_sync_to_async(fill_room)(room, alice, 300, LONG)
    socket = await connect(alice)

    await socket.send_json_to({"type": "history", "before_seq": 301, "limit": 200})
    text = await socket.receive_from(timeout=10)

    assert len(text.encode()) <= settings.CHAT_MAX_PAGE_BYTES
    page = json.loads(text)
    seqs = [message["seq"] for message in page["messages"]]
    assert 0 < len(seqs) < 200
    assert seqs == list(range(301 - len(seqs), 301))
    assert page["has_more"] is True
    assert page["history_limited"] is False
