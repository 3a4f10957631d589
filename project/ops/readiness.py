"""Readiness: does this process reach its database and its Redis servers right now?

Each check gets CHECK_TIMEOUT_SECONDS; the checks run at the same time, so `/readyz`
answers within about that whatever is down. Each process keeps one connection per service
for them (a PostgreSQL connection of its own, outside the request and posting pools, and a
client per Redis server), opened on first use and again after a failure: a poll costs one
round trip to each, with no connection set up.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import psycopg
import redis.asyncio as redis
from django.conf import settings
from django.db import connections

CHECK_TIMEOUT_SECONDS = 1.0


@dataclass
class Connections:
    """One event loop's connections for the checks."""

    database: psycopg.AsyncConnection[Any] | None = None
    redis: dict[str, redis.Redis] = field(default_factory=dict)


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Connections] = (
    weakref.WeakKeyDictionary()
)


def _connections() -> Connections:
    loop = asyncio.get_running_loop()
    if loop not in _per_loop:
        _per_loop[loop] = Connections()
    return _per_loop[loop]


async def check() -> dict[str, str]:
    """ "ok", or why not, for the database and (when the channel layer uses it) Redis."""
    names = ["database"]
    checks = [_database()]
    if settings.REDIS_URLS:
        names.append("redis")
        checks.append(_redis())
    results = await asyncio.gather(*(_timed(c) for c in checks))
    return dict(zip(names, results, strict=True))


async def _timed(check: Any) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            return await check
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_SECONDS:g}s"


async def _database() -> str:
    if connections["default"].vendor != "postgresql":
        return await asyncio.to_thread(_sqlite)
    mine = _connections()
    try:
        if mine.database is None or mine.database.closed:
            params = connections["default"].get_connection_params()
            for django_only in ("cursor_factory", "context", "prepare_threshold"):
                params.pop(django_only, None)
            mine.database = await psycopg.AsyncConnection.connect(**params, autocommit=True)
        await mine.database.execute("SELECT 1")
    except (psycopg.Error, OSError) as error:
        await _drop_database(mine)
        return f"unavailable: {type(error).__name__}"
    except asyncio.CancelledError:
        # Timed out mid-query: the connection's state is unknown; start afresh next time.
        await _drop_database(mine)
        raise
    return "ok"


async def _drop_database(mine: Connections) -> None:
    if mine.database is not None:
        broken, mine.database = mine.database, None
        # Closing a broken connection may fail too; it is gone either way.
        with contextlib.suppress(Exception):
            await broken.close()


def _sqlite() -> str:
    try:
        with sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=1) as database:
            database.execute("SELECT 1")
    except sqlite3.Error as error:
        return f"unavailable: {error}"
    return "ok"


async def _redis() -> str:
    """Every server the channel layer shards over must answer: a room on a silent one gets
    no live messages."""
    results = await asyncio.gather(*(_ping(url) for url in settings.REDIS_URLS))
    failed = [result for result in results if result != "ok"]
    return "; ".join(failed) if failed else "ok"


async def _ping(url: str) -> str:
    mine = _connections()
    client = mine.redis.get(url)
    if client is None:
        client = mine.redis[url] = redis.Redis.from_url(
            url,
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
            socket_timeout=CHECK_TIMEOUT_SECONDS,
        )
    try:
        await client.ping()
    except (redis.RedisError, OSError) as error:
        # Named by host and port: the URL may hold a password.
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port or 6379} unavailable: {type(error).__name__}"
    return "ok"
