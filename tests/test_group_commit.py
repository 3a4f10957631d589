"""Sends that queue while a room's commit is in flight are committed together, as one batch
with one seq range; and a batch that fails acks none of its sends and saves none of them."""

import asyncio
from collections.abc import Iterator

import psycopg
import pytest
from channels.db import database_sync_to_async
from django.db import connection

from chat import posting
from chat.models import Message
from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)


def _connect() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    )


@pytest.fixture
def room_lock(room) -> Iterator[psycopg.Connection]:
    """Another session holding the room's row lock, as a commit of another process would:
    the batch's UPDATE of the room takes FOR NO KEY UPDATE, which still lets a socket's
    opening join the room (its membership's foreign key takes FOR KEY SHARE)."""
    holder = _connect()
    holder.execute("BEGIN")
    holder.execute("SELECT 1 FROM chat_room WHERE id = %s FOR NO KEY UPDATE", [room.pk])
    yield holder
    holder.close()


@pytest.fixture
def boom_trigger() -> Iterator[None]:
    """The database refuses any message whose body is "boom", failing its whole statement."""
    admin = _connect()
    admin.execute(
        """
        CREATE FUNCTION refuse_boom() RETURNS trigger AS $$
        BEGIN
            IF NEW.body = 'boom' THEN RAISE EXCEPTION 'refused for the test'; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER refuse_boom BEFORE INSERT ON chat_message
            FOR EACH ROW EXECUTE FUNCTION refuse_boom();
        """
    )
    yield
    admin.execute("DROP TRIGGER refuse_boom ON chat_message; DROP FUNCTION refuse_boom();")
    admin.close()


async def queued_sends(room_id: int, count: int) -> None:
    """Wait until `count` sends of the room wait behind the commit in flight."""
    poster = await posting._poster()
    for _ in range(200):
        queue = poster.queues.get(room_id)
        if queue is not None and len(queue.waiting) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{count} sends never queued")


async def frames_until(socket, kind: str, client_id: str) -> dict:
    while True:
        frame = await socket.receive_json_from(timeout=10)
        if frame["type"] == kind or frame.get("client_id") == client_id:
            return frame


async def test_sends_queued_behind_a_commit_share_one_batch(alice, bob, room, connect, room_lock):
    first = await connect(alice)
    others = [await connect(user) for user in (alice, bob, bob)]

    await first.send_json_to({"type": "message.send", "body": "first", "client_id": "f"})
    await asyncio.sleep(0.2)  # the first batch is now waiting for the row lock
    for number, socket in enumerate(others):
        await socket.send_json_to(
            {"type": "message.send", "body": f"queued {number}", "client_id": f"q{number}"}
        )
    await queued_sends(room.pk, len(others))
    room_lock.execute("COMMIT")

    assert (await frames_until(first, "ack", "f"))["seq"] == 1
    acks = [await frames_until(socket, "ack", f"q{n}") for n, socket in enumerate(others)]
    assert sorted(ack["seq"] for ack in acks) == [2, 3, 4]
    batch = await database_sync_to_async(
        lambda: list(Message.objects.filter(seq__gte=2).values_list("created_at", flat=True))
    )()
    assert len(batch) == 3 and len(set(batch)) == 1, "the queued sends were not one statement"


async def test_a_failed_batch_acks_none_of_its_sends_and_saves_nothing(
    alice, bob, room, connect, room_lock, boom_trigger
):
    first = await connect(alice)
    listener = await connect(bob)
    senders = [await connect(user) for user in (alice, bob, alice)]
    bodies = ["fine", "boom", "also fine"]

    await first.send_json_to({"type": "message.send", "body": "first", "client_id": "f"})
    await asyncio.sleep(0.2)
    for number, (socket, body) in enumerate(zip(senders, bodies, strict=True)):
        await socket.send_json_to({"type": "message.send", "body": body, "client_id": f"b{number}"})
    await queued_sends(room.pk, len(senders))
    room_lock.execute("COMMIT")

    assert (await frames_until(first, "ack", "f"))["type"] == "ack"
    for number, socket in enumerate(senders):
        answer = await frames_until(socket, "error", f"b{number}")
        assert (answer["type"], answer["code"]) == ("error", "unavailable")
    stored = await database_sync_to_async(
        lambda: list(Message.objects.values_list("body", flat=True))
    )()
    assert stored == ["first"]
    heard = await listener.receive_json_from(timeout=5)
    assert heard["message"]["body"] == "first"
    assert await listener.receive_nothing(timeout=0.5)

    # The same client_id, sent again, is saved once the database takes it.
    retry = await send_and_ack(senders[0], "fine", "b0")
    assert (retry["type"], retry["seq"]) == ("ack", 2)
