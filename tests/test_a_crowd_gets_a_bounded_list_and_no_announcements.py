"""A room with more than CHAT_PRESENCE_LIMIT people present is a crowd: its `presence` list
names the first CHAT_PRESENCE_LIMIT by username and gives the count; joins and leaves in a
crowd are not announced one by one (each would be a frame to every socket of a big room).
The join that makes a room a crowd, and the leave that ends one, send everyone the list."""

from __future__ import annotations

import pytest

from tests.presence_support import next_ephemeral

pytestmark = pytest.mark.django_db(transaction=True)


def user(person) -> dict:
    return {"id": person.pk, "username": person.username}


async def test_a_crowd_is_counted_not_announced(
    alice, bob, charlie, moderator, room, connect, settings
):
    settings.CHAT_PRESENCE_LIMIT = 2
    watcher = await connect(alice, hear_presence=True)
    await next_ephemeral(watcher)
    await connect(bob)
    assert await next_ephemeral(watcher) == {"type": "presence.join", "user": user(bob)}

    third = await connect(charlie, hear_presence=True)
    listed = {"type": "presence", "users": [user(alice), user(bob)], "count": 3}
    assert await next_ephemeral(third) == listed  # its own first frame: two named, three here
    assert await next_ephemeral(watcher) == listed  # now a crowd: the list, not a join

    fourth = await connect(moderator)  # "maude": a join in a crowd is not announced
    await fourth.disconnect()
    await third.disconnect()  # four, then three: still a crowd
    # Down to two: the crowd is over, and everyone gets the list again.
    assert await next_ephemeral(watcher, within=5) == {
        "type": "presence",
        "users": [user(alice), user(bob)],
        "count": 2,
    }
