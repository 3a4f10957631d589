"""With no REDIS_URL (the embedded default: one process, the in-memory channel layer)
presence is kept in the process's memory, with the same frames: the list on connect, a join
for a first socket, nothing for a second tab, a leave when the last one closes."""

from __future__ import annotations

import pytest

from chat.presence import LocalStore, get_presence
from tests.presence_support import next_ephemeral

pytestmark = pytest.mark.django_db(transaction=True)


def user(person) -> dict:
    return {"id": person.pk, "username": person.username}


async def test_presence_in_memory(alice, bob, room, connect, settings):
    settings.REDIS_URL = ""
    assert isinstance(get_presence().store, LocalStore)
    watcher = await connect(alice, hear_presence=True)
    assert await next_ephemeral(watcher) == {"type": "presence", "users": [user(alice)], "count": 1}

    first = await connect(bob, hear_presence=True)
    assert (await next_ephemeral(first))["users"] == [user(alice), user(bob)]
    assert await next_ephemeral(watcher) == {"type": "presence.join", "user": user(bob)}
    second = await connect(bob)
    await second.disconnect()
    await first.disconnect()
    assert await next_ephemeral(watcher, within=5) == {"type": "presence.leave", "user": user(bob)}
