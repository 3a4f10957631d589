"""resume sends exactly what came after the client's last seq, one page per request, then
`resumed`, which says where the page stopped and whether the client should ask again."""

import pytest
from channels.db import database_sync_to_async

from chat import services
from chat.models import Message
from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)


async def collect_resume(socket, after_seq: int) -> tuple[list[dict], list[dict], int]:
    """Resume as a client does, asking again while `has_more`; return the history frames
    (one per request, at most), the live message frames seen meanwhile, and the last
    `resumed` frame's last_seq."""
    pages: list[dict] = []
    live: list[dict] = []
    while True:
        await socket.send_json_to({"type": "resume", "after_seq": after_seq})
        answer: list[dict] = []
        while True:
            frame = await socket.receive_json_from(timeout=10)
            if frame["type"] == "resumed":
                break
            (answer if frame["type"] == "history" else live).append(frame)
        assert len(answer) <= 1, "a resume is answered with one page at most"
        pages.extend(answer)
        after_seq = frame["last_seq"]
        if not frame["has_more"]:
            return pages, live, after_seq


async def test_socket_dropped_mid_stream_resumes_with_exactly_the_rooms_messages(
    alice, bob, room, connect
):
    listener = await connect(bob)
    sender = await connect(alice)
    seen: dict[int, str] = {}

    for n in range(1, 6):
        await send_and_ack(sender, f"m{n}", f"a{n}")
        message = (await listener.receive_json_from(timeout=5))["message"]
        seen[message["seq"]] = message["body"]
    await listener.disconnect()

    for n in range(6, 11):
        await send_and_ack(sender, f"m{n}", f"a{n}")

    back = await connect(bob)
    pages, live, last_seq = await collect_resume(back, max(seen))
    for frame in pages:
        for message in frame["messages"]:
            assert message["seq"] not in seen, "resume repeated a message the client had"
            seen[message["seq"]] = message["body"]
    # A broadcast published just before the socket joined may still arrive live; the
    # client keeps one copy per seq.
    for frame in live:
        seen.setdefault(frame["message"]["seq"], frame["message"]["body"])

    stored = await database_sync_to_async(
        lambda: dict(Message.objects.values_list("seq", "body"))
    )()
    assert seen == stored
    assert list(seen) == list(range(1, 11))
    assert last_seq == 10


def make_messages(room, author, count: int) -> None:
    for n in range(count):
        services.post_message(room, author, f"m{n + 1}", f"c{n + 1}")


async def test_resume_pages_are_bounded_and_in_order(alice, room, connect):
    await database_sync_to_async(make_messages)(room, alice, 450)
    socket = await connect(alice)

    pages, _, last_seq = await collect_resume(socket, 20)

    assert [len(page["messages"]) for page in pages] == [200, 200, 30]
    assert [page["has_more"] for page in pages] == [True, True, False]
    seqs = [m["seq"] for page in pages for m in page["messages"]]
    assert seqs == list(range(21, 451))
    assert last_seq == 450


async def test_resume_when_up_to_date_sends_only_resumed(alice, room, connect):
    await database_sync_to_async(make_messages)(room, alice, 3)
    socket = await connect(alice)
    assert await collect_resume(socket, 3) == ([], [], 3)


async def test_messages_committed_during_resume_arrive_live(alice, bob, room, connect):
    """The socket is in the group before the backlog is read: a message posted while the
    resume is paging reaches it either in a page or live, and is never lost."""
    await database_sync_to_async(make_messages)(room, alice, 600)
    reader = await connect(bob)
    writer = await connect(alice)

    await reader.send_json_to({"type": "resume", "after_seq": 0})
    await writer.send_json_to({"type": "message.send", "body": "during", "client_id": "late"})
    late_ack = await writer.receive_json_from(timeout=5)

    seqs: list[int] = []
    while True:
        frame = await reader.receive_json_from(timeout=10)
        if frame["type"] == "history":
            seqs.extend(m["seq"] for m in frame["messages"])
        elif frame["type"] == "message":
            seqs.append(frame["message"]["seq"])
        elif frame["type"] == "resumed" and frame["has_more"]:
            await reader.send_json_to({"type": "resume", "after_seq": frame["last_seq"]})
        elif frame["type"] == "resumed":
            break
    if late_ack["seq"] not in seqs:
        live = await reader.receive_json_from(timeout=5)
        seqs.append(live["message"]["seq"])
    assert sorted(set(seqs)) == list(range(1, 602))
