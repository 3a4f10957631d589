"""Presence across two server processes on one Redis: a socket's first frame lists everyone
with a socket in the room, on either process, itself included, sorted by username; a
person's first socket is announced once (a second tab, even on the other process, says
nothing, and nobody hears their own join); their last socket closing is announced as
`presence.leave` within 5 s, and a closing tab while another stays open says nothing."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.presence_support import cookies, hearing, next_ephemeral, user
from tests.processes import Processes

pytestmark = pytest.mark.django_db(transaction=True)


def test_presence_is_one_list_over_two_processes(alice, bob, charlie, room, tmp_path):
    alice_cookie, bob_cookie, charlie_cookie = cookies(alice, bob, charlie)
    with Processes(tmp_path) as processes:
        one, two = processes.parley(count=2)

        async def scenario() -> None:
            alice_here = await hearing(one, alice_cookie)
            assert await alice_here.frame() == {
                "type": "presence",
                "users": [user(alice)],
                "count": 1,
            }

            bob_there = await hearing(two, bob_cookie)
            assert await bob_there.frame() == {
                "type": "presence",
                "users": [user(alice), user(bob)],
                "count": 2,
            }
            assert await next_ephemeral(alice_here) == {"type": "presence.join", "user": user(bob)}

            # Bob's second tab, on the other process: the same list, and no announcement.
            bob_here = await hearing(one, bob_cookie)
            assert (await bob_here.frame())["users"] == [user(alice), user(bob)]
            # Charlie comes next: the next thing Alice and Bob hear is Charlie, not Bob again.
            charlie_there = await hearing(two, charlie_cookie)
            assert (await charlie_there.frame())["users"] == [user(alice), user(bob), user(charlie)]
            charlie_joined = {"type": "presence.join", "user": user(charlie)}
            assert await next_ephemeral(alice_here) == charlie_joined
            assert await next_ephemeral(bob_there) == charlie_joined
            assert await next_ephemeral(bob_here) == charlie_joined

            # Bob closes one tab: he is still here. Charlie leaving is what Alice hears next.
            await bob_here.close()
            await asyncio.sleep(3)
            await charlie_there.close()
            closed = time.monotonic()
            charlie_left = {"type": "presence.leave", "user": user(charlie)}
            assert await next_ephemeral(alice_here, within=5) == charlie_left
            assert time.monotonic() - closed < 5
            assert await next_ephemeral(bob_there, within=5) == charlie_left

            # Bob's last tab closes: Alice hears him leave, within 5 s.
            await bob_there.close()
            closed = time.monotonic()
            bob_left = {"type": "presence.leave", "user": user(bob)}
            assert await next_ephemeral(alice_here, within=5) == bob_left
            assert time.monotonic() - closed < 5

            # And a new socket's list says the same.
            again = await hearing(two, charlie_cookie)
            assert (await again.frame())["users"] == [user(alice), user(charlie)]
            await again.close()
            await alice_here.close()

        asyncio.run(scenario())
