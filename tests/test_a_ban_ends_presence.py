"""A ban closes the banned person's sockets in the room (4403) and ends their presence: the
others hear `presence.leave` within 5 s, and a new socket's list leaves them out. A mute
does not: the muted are still here."""

from __future__ import annotations

import time

import pytest
from channels.db import database_sync_to_async

from chat import services
from tests.presence_support import next_ephemeral

pytestmark = pytest.mark.django_db(transaction=True)

restrict_user = database_sync_to_async(services.restrict_user)


def user(person) -> dict:
    return {"id": person.pk, "username": person.username}


async def test_the_banned_leave_the_list(alice, bob, charlie, moderator, room, connect):
    watcher = await connect(alice, hear_presence=True)
    assert (await next_ephemeral(watcher))["type"] == "presence"
    bob_tabs = [await connect(bob), await connect(bob)]
    muted = await connect(charlie)
    for someone in (bob, charlie):
        assert await next_ephemeral(watcher) == {"type": "presence.join", "user": user(someone)}

    await restrict_user(room, charlie, "mute", moderator)
    await restrict_user(room, bob, "ban", moderator)
    banned = time.monotonic()
    for tab in bob_tabs:
        assert (await tab.receive_output(timeout=5))["code"] == 4403
    assert await next_ephemeral(watcher, within=5) == {"type": "presence.leave", "user": user(bob)}
    assert time.monotonic() - banned < 5

    newcomer = await connect(moderator, hear_presence=True)
    listed = await next_ephemeral(newcomer)
    assert listed == {
        "type": "presence",
        "users": [user(alice), user(charlie), user(moderator)],
        "count": 3,
    }
    assert muted is not None
