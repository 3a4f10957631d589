"""What presence costs Redis (docs/presence.md): `python -m bench.presence_cost`.

Against the Redis of REDIS_URL (default redis://127.0.0.1:6379/0), under a prefix of its own
that it deletes at the end: a room filled with N people present (one process entry each),
then the time of one arrival (the script that records it and answers the list), one
departure, one process's heartbeat (renewal of its entries and a sweep), and how many
commands Redis ran for each (INFO commandstats; a script's own calls are counted there).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SECRET_KEY", "presence-cost-only")
django.setup()

from django.conf import settings  # noqa: E402

from chat.presence import RedisStore  # noqa: E402

ROOM = 1
SIZES = (10, 100, 1_000, 10_000)
REPEAT = 200


async def commands(store: RedisStore) -> int:
    stats = await store.redis.info("commandstats")
    return sum(value["calls"] for value in stats.values())


async def measure(store: RedisStore, call, repeat: int = REPEAT) -> tuple[float, float]:
    """Median milliseconds of `call()` and Redis commands per call (less the INFO)."""
    times = []
    before = await commands(store)
    for n in range(repeat):
        started = time.perf_counter()
        await call(n)
        times.append(time.perf_counter() - started)
    ran = await commands(store) - before - 1
    return 1000 * statistics.median(times), ran / repeat


async def one_room(store: RedisStore, limit: int) -> list[tuple[float, float]]:
    """Arrive, depart, and the heartbeat of a process holding 100 people, in ROOM."""
    arrive = await measure(store, lambda n: store.arrive(ROOM, (n + 1, f"zz{n:04d}"), limit))
    depart = await measure(store, lambda n: store.depart(ROOM, n + 1))
    for n in range(100):
        await store.arrive(ROOM, (n + 1, f"zz{n:04d}"), limit)
    held = {ROOM: {n + 1: f"zz{n:04d}" for n in range(100)}}

    async def heartbeat(_: int) -> None:
        await store.renew(held)
        await store.sweep()

    beat = await measure(store, heartbeat, 50)
    for n in range(100):
        await store.depart(ROOM, n + 1)
    return [arrive, depart, beat]


async def main() -> None:
    prefix = f"parley-presence-cost-{uuid.uuid4().hex[:8]}"
    limit = settings.CHAT_PRESENCE_LIMIT
    filler = RedisStore(settings.REDIS_URL, prefix, "filler")
    print(f"CHAT_PRESENCE_LIMIT={limit}; medians of {REPEAT} calls")
    print("| present | arrive (ms, commands) | depart (ms, commands) | heartbeat of 100 held |")
    print("| --- | --- | --- | --- |")
    present = 0
    try:
        for size in SIZES:
            async with filler.redis.pipeline(transaction=False) as pipe:
                for uid in range(present, size):
                    await filler.arrive_script(
                        keys=filler._keys(ROOM, uid + 1_000_000),
                        args=[ROOM, uid + 1_000_000, f"user{uid:06d}", "filler", 600_000, limit],
                        client=pipe,
                    )
                await pipe.execute()
            present = size
            store = RedisStore(settings.REDIS_URL, prefix, f"p{size}")
            arrive, depart, beat = await one_room(store, limit)
            print(
                f"| {size:,} | {arrive[0]:.2f}, {arrive[1]:.0f} | {depart[0]:.2f}, {depart[1]:.0f}"
                f" | {beat[0]:.2f} ms, {beat[1]:.0f} commands |"
            )
            await store.close()
    finally:
        keys = [key async for key in filler.redis.scan_iter(f"{prefix}:*")]
        if keys:
            await filler.redis.delete(*keys)
        await filler.close()


if __name__ == "__main__":
    asyncio.run(main())
