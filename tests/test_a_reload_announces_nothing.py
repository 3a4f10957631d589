"""A reload (the last socket closes and the next opens within a second) announces nothing:
the others hear no leave and no join, since a person's last socket leaves only after a short
grace (chat.presence.LEAVE_GRACE_SECONDS). Closing for good is still heard within 5 s."""

from __future__ import annotations

import time

import pytest

from chat.presence import LEAVE_GRACE_SECONDS
from tests.conftest import socket_for
from tests.presence_support import next_ephemeral

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_reload_is_silent_and_a_close_is_not(alice, bob, room, connect):
    watcher = await connect(alice, hear_presence=True)
    assert (await next_ephemeral(watcher))["type"] == "presence"
    page = await connect(bob)
    assert (await next_ephemeral(watcher))["type"] == "presence.join"

    # The reloaded page's socket is made first (`connect` would sign bob in again, which took
    # longer than the grace on a busy machine): it opens as soon as the last one closed.
    reloaded = await socket_for(bob, "general", hear_presence=True)
    await page.disconnect()
    connected, code = await reloaded.connect(timeout=5)
    assert connected, code
    page = reloaded
    assert [u["username"] for u in (await next_ephemeral(page))["users"]] == ["alice", "bob"]
    with pytest.raises(TimeoutError):
        await next_ephemeral(watcher, within=LEAVE_GRACE_SECONDS + 1)

    # The grace starts while the server handles the close, before disconnect() returns:
    # timed from before it, as the person closing the tab would time it.
    closed = time.monotonic()
    await page.disconnect()
    left = await next_ephemeral(watcher, within=5)
    assert left == {"type": "presence.leave", "user": {"id": bob.pk, "username": "bob"}}
    assert LEAVE_GRACE_SECONDS <= time.monotonic() - closed < 5
