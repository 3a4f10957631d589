"""A server process killed with SIGKILL says nothing, and its people's presence expires:
with CHAT_PRESENCE_TTL_SECONDS=6 (heartbeats every 2 s) the other process announces
`presence.leave` for them within TTL + one heartbeat, once (by one process), and a new
socket's list leaves them out within the TTL."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.presence_support import cookies, hearing, next_ephemeral, user
from tests.processes import Processes

pytestmark = pytest.mark.django_db(transaction=True)

TTL = 6
HEARTBEAT = TTL / 3


def test_the_people_of_a_killed_process_leave_within_the_ttl(alice, bob, charlie, room, tmp_path):
    alice_cookie, bob_cookie, charlie_cookie = cookies(alice, bob, charlie)
    with Processes(tmp_path) as processes:
        one, two, three = processes.parley(count=3, CHAT_PRESENCE_TTL_SECONDS=str(TTL))

        async def scenario() -> None:
            alice_here = await hearing(one, alice_cookie)
            await alice_here.frame()
            charlie_here = await hearing(three, charlie_cookie)
            await charlie_here.frame()
            assert (await next_ephemeral(alice_here))["user"] == user(charlie)
            bob_there = await hearing(two, bob_cookie)
            assert (await bob_there.frame())["users"] == [user(alice), user(bob), user(charlie)]
            for socket in (alice_here, charlie_here):
                assert await next_ephemeral(socket) == {"type": "presence.join", "user": user(bob)}

            two.kill()
            killed = time.monotonic()
            bob_left = {"type": "presence.leave", "user": user(bob)}
            # Two processes sweep; each of their sockets hears the leave exactly once.
            for socket in (alice_here, charlie_here):
                assert await next_ephemeral(socket, within=TTL + HEARTBEAT + 2) == bob_left
            assert time.monotonic() - killed <= TTL + HEARTBEAT + 1
            with pytest.raises(TimeoutError):
                await next_ephemeral(alice_here, within=2 * HEARTBEAT)

            fresh = await hearing(three, bob_cookie)
            assert (await fresh.frame())["users"] == [user(alice), user(bob), user(charlie)]
            assert await next_ephemeral(alice_here) == {"type": "presence.join", "user": user(bob)}
            for socket in (fresh, alice_here, charlie_here):
                await socket.close()

        asyncio.run(scenario())


def test_a_new_socket_never_lists_an_expired_entry(alice, bob, room, tmp_path):
    alice_cookie, bob_cookie = cookies(alice, bob)
    with Processes(tmp_path) as processes:
        one, two = processes.parley(count=2, CHAT_PRESENCE_TTL_SECONDS=str(TTL))

        async def scenario() -> None:
            bob_there = await hearing(two, bob_cookie)
            await bob_there.frame()
            two.kill()
            killed = time.monotonic()
            # No socket is left on process one to sweep: the list itself leaves the ghost
            # out once the TTL has passed.
            await asyncio.sleep(TTL + 0.5)
            alice_here = await hearing(one, alice_cookie)
            assert await alice_here.frame() == {
                "type": "presence",
                "users": [user(alice)],
                "count": 1,
            }
            assert time.monotonic() - killed < TTL + HEARTBEAT
            await alice_here.close()

        asyncio.run(scenario())
