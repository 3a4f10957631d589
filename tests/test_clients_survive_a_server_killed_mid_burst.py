"""One of two server processes behind nginx is killed (SIGKILL) in the middle of a burst of
sends: its people reconnect through the proxy to the other process, resume, and send again
what was not acked; in the end every message is in the room exactly once, acked messages
kept the seq of their ack, and seqs run 1, 2, 3... with no gap."""

from __future__ import annotations

import asyncio

import pytest

from accounts.models import User
from chat.models import Message
from tests.conftest import session_cookie
from tests.processes import ParleyServer, Processes
from tests.room_client import Participant, eventually

pytestmark = pytest.mark.django_db(transaction=True)

PER_PERSON = 40


def test_a_killed_server_loses_and_doubles_nothing(alice, bob, charlie, room, tmp_path):
    people = [alice, bob, charlie, User.objects.create_user("dora", "dora@example.com", "pw")]
    with Processes(tmp_path) as processes:
        servers = processes.parley(count=2)
        proxy = processes.nginx(servers)
        participants = [
            Participant(proxy.ws_url, "general", session_cookie(p), p.username) for p in people
        ]
        asyncio.run(burst_with_a_kill(servers[0], participants))

    rows = list(Message.objects.order_by("seq").values_list("seq", "client_id"))
    assert [seq for seq, _ in rows] == list(range(1, len(people) * PER_PERSON + 1))
    by_client_id = dict((client_id, seq) for seq, client_id in rows)
    assert len(by_client_id) == len(rows), "a message was saved twice"
    for participant in participants:
        assert len(participant.acked) == PER_PERSON
        for client_id, seq in participant.acked.items():
            assert by_client_id[client_id] == seq
    dropped = [p for p in participants if p.closes]
    assert dropped, "the kill reached no socket: nothing was tested"
    # Those who dropped saw the room as it is, once they caught up.
    for participant in dropped:
        assert {seq: m["client_id"] for seq, m in participant.seen.items()} == {
            seq: client_id for seq, client_id in rows if seq in participant.seen
        }


async def burst_with_a_kill(victim: ParleyServer, participants: list[Participant]) -> None:
    bursts = [
        asyncio.create_task(p.send_burst(PER_PERSON, pause=0.01, within=60)) for p in participants
    ]
    # Mid-burst: once a quarter of the messages are acked, and everyone has had one acked.
    # Without the second, the people nginx put on the other process could ack a quarter
    # alone while the victim's were still in their handshake (it starts slower on a busy
    # machine): nginx would then retry those on the other process, and no socket would drop.
    quarter = len(participants) * PER_PERSON // 4
    await eventually(
        lambda: (
            sum(len(p.acked) for p in participants) >= quarter
            and all(p.acked for p in participants)
        ),
        within=30,
    )
    await asyncio.to_thread(victim.kill)
    await asyncio.gather(*bursts)
