"""`typing` reaches every other person's sockets in the room, on both server processes, and
never a socket of the typist: not the one that typed, not their other tabs on either
process. Nothing is answered to the typist."""

from __future__ import annotations

import asyncio

import pytest

from tests.presence_support import cookies, hearing, next_typing, user
from tests.processes import Processes

pytestmark = pytest.mark.django_db(transaction=True)


def test_typing_goes_to_the_others_only(alice, bob, charlie, room, tmp_path):
    alice_cookie, bob_cookie, charlie_cookie = cookies(alice, bob, charlie)
    with Processes(tmp_path) as processes:
        one, two = processes.parley(count=2)

        async def scenario() -> None:
            typist = await hearing(one, alice_cookie)
            alice_tabs = [await hearing(one, alice_cookie), await hearing(two, alice_cookie)]
            bob_there = await hearing(two, bob_cookie)
            charlie_here = await hearing(one, charlie_cookie)

            await typist.send({"type": "typing"})
            alice_types = {"type": "typing", "user": user(alice)}
            assert await next_typing(bob_there) == alice_types
            assert await next_typing(charlie_here) == alice_types

            # Bob types next: the first typing any of Alice's sockets hears is his.
            await bob_there.send({"type": "typing"})
            bob_types = {"type": "typing", "user": user(bob)}
            for socket in (typist, *alice_tabs):
                assert await next_typing(socket) == bob_types
            assert await next_typing(charlie_here) == bob_types
            with pytest.raises(TimeoutError):
                await next_typing(bob_there, within=1)

            for socket in (typist, *alice_tabs, bob_there, charlie_here):
                await socket.close()

        asyncio.run(scenario())
