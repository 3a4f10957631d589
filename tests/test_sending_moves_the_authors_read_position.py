"""A saved message moves its author's read position to its seq, in the statement that saves
it: over a socket, through services.post_message, for each author of a batch that several
people's sends share (to the newest seq each got), and on the ORM path the embedded SQLite
default takes. Never back, never for a repeat, and nobody becomes a member by sending."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import membership, posting, services
from chat.models import RoomMembership
from tests.conftest import fill_room, send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)


def position(user, room) -> int | None:
    return (
        RoomMembership.objects.filter(user=user, room=room)
        .values_list("last_read_seq", flat=True)
        .first()
    )


async def test_a_send_over_the_socket_reads_everything_up_to_it(alice, bob, room, connect):
    socket = await connect(alice)  # joins at 0
    await database_sync_to_async(fill_room)(room, bob, 6)
    ack = await send_and_ack(socket, "caught up", "c1")
    assert ack["seq"] == 7
    assert await database_sync_to_async(position)(alice, room) == 7


async def test_each_author_of_one_batch_gets_the_newest_seq_of_theirs(alice, bob, charlie, room):
    for person in (alice, bob, charlie):
        await database_sync_to_async(membership.join)(room, person)
    drafts = [
        posting.Draft(alice.pk, "a1", "one"),
        posting.Draft(bob.pk, "b1", "two"),
        posting.Draft(alice.pk, "a2", "three"),
    ]
    pool = (await posting._poster()).pool
    outcomes = await posting.commit_async(pool, room.pk, drafts)
    assert [outcome.seq for outcome in outcomes] == [1, 2, 3]
    assert await database_sync_to_async(position)(alice, room) == 3
    assert await database_sync_to_async(position)(bob, room) == 2
    assert await database_sync_to_async(position)(charlie, room) == 0


def test_post_message_moves_it_and_a_repeat_or_a_later_read_never_moves_it_back(alice, bob, room):
    membership.join(room, alice)
    fill_room(room, bob, 3)
    first = services.post_message(room, alice, "hello", "c1").message
    assert first.seq == 4 and position(alice, room) == 4
    room.refresh_from_db()
    fill_room(room, bob, 2)
    membership.mark_read(room, alice, 6)
    assert not services.post_message(room, alice, "hello", "c1").created  # a repeat
    assert position(alice, room) == 6


def test_a_non_member_sending_does_not_become_a_member(alice, room):
    services.post_message(room, alice, "drive-by", "c1")
    assert position(alice, room) is None


def test_the_orm_path_moves_it_too(alice, bob, room):
    membership.join(room, alice)
    fill_room(room, bob, 2)
    saved = posting.commit_with_orm(room, posting.Draft(alice.pk, "c1", "via the ORM"))
    assert saved.seq == 3
    assert position(alice, room) == 3


def test_the_batch_stays_one_statement(alice, room):
    """The read position (and the mentions) ride the batch's one statement."""
    membership.join(room, alice)
    assert connection.vendor == "postgresql"
    with CaptureQueriesContext(connection) as queries:
        posting.commit_sync(room.pk, [posting.Draft(alice.pk, "c1", "@alice one trip")])
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in TRANSACTION]
    assert len(statements) == 1
    assert position(alice, room) == 1


# commit_sync's own transaction around its one statement (the sockets' path is autocommit).
TRANSACTION = {"BEGIN", "COMMIT"}
