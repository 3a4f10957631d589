"""Flood control: how much one person, and one socket, may ask of the chat.

Three limits (docs/protocol.md), each off when set to 0:

- CHAT_RATE_LIMIT, COUNT/SECONDS: messages one person may send in any SECONDS, counted over
  all their sockets on every server process. A send over it gets `rate_limited` with
  `retry_after` and is neither saved nor broadcast. One EVALSHA per send: the script keeps
  the times of the person's accepted sends in a sorted set and drops those older than the
  window, so the window slides (no burst of twice the limit across a window's edge), and
  refused sends are not counted.
- CHAT_MAX_SOCKETS_PER_USER: sockets one person may have open, on every process. A sorted set
  per person of socket ids, each scored with the moment it expires. Each process renews the
  ids of its own sockets every HEARTBEAT_SECONDS in one round trip, so the ids of a process
  that was killed drop out within SOCKET_TTL_SECONDS.
- CHAT_FRAME_LIMIT, COUNT/SECONDS: frames of any type one socket may send. A socket's frames
  all reach one process, so it is counted there, in memory (`FrameBudget`).

The Redis keys live under the channel layer's prefix (CHANNEL_LAYER_PREFIX) and expire by
themselves. Times in the scripts are Redis's own (TIME), so processes whose clocks disagree
still count alike. With no REDIS_URL (the embedded default, one process) the same interface
is kept in memory.

When Redis fails, a send's check lets the send through (logged): the message is saved as
usual, and flood control pauses for the outage rather than the chat. Opening a socket does
not: the consumer refuses with 1013, as it would for the channel layer.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from collections import defaultdict, deque
from typing import Protocol

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

from project.env import Rate

logger = logging.getLogger(__name__)

# How long a socket's id counts without being renewed, and how often each process renews.
SOCKET_TTL_SECONDS = 60
HEARTBEAT_SECONDS = 20
# A Redis that does not answer within this counts as down.
REDIS_TIMEOUT_SECONDS = 2.0
# A send waits at most this for its rate check, then goes through: a Redis hiccup must not
# hold up every message.
SEND_CHECK_TIMEOUT_SECONDS = 0.5


class RateLimited(Exception):
    """Over CHAT_RATE_LIMIT: nothing was counted; the send may go in `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:.1f}s")
        self.retry_after = retry_after


class TooManySockets(Exception):
    """The person already has CHAT_MAX_SOCKETS_PER_USER sockets open."""


class FrameBudget:
    """CHAT_FRAME_LIMIT for one socket: a fixed window, counted in the socket's process."""

    __slots__ = ("count", "rate", "window_ends")

    def __init__(self, rate: Rate | None) -> None:
        self.rate = rate
        self.window_ends = 0.0
        self.count = 0

    def spend(self) -> float:
        """Count one frame: 0 while within the limit, otherwise the seconds until the window
        ends and frames are answered again."""
        if self.rate is None:
            return 0.0
        now = time.monotonic()
        if now >= self.window_ends:
            self.window_ends, self.count = now + self.rate.seconds, 0
        self.count += 1
        return 0.0 if self.count <= self.rate.count else self.window_ends - now

    @property
    def flooding(self) -> bool:
        """Twice the limit within one window: the client is ignoring its `rate_limited`
        errors, and answering each frame with one would only feed it."""
        return self.rate is not None and self.count > 2 * self.rate.count


async def count_send(user_id: int) -> None:
    """Count one message of `user_id` against CHAT_RATE_LIMIT. Raises RateLimited (and
    counts nothing) when the person is over it."""
    rate: Rate | None = settings.CHAT_RATE_LIMIT
    if rate is None:
        return
    try:
        async with asyncio.timeout(SEND_CHECK_TIMEOUT_SECONDS):
            wait = await (await _counters()).take_send(user_id, rate)
    except (RedisError, OSError, TimeoutError) as error:
        logger.warning("Rate limit unchecked, Redis failed (%r); the send goes through", error)
        return
    if wait > 0:
        raise RateLimited(wait)


async def open_socket(user_id: int) -> str:
    """Count a new socket of `user_id` against CHAT_MAX_SOCKETS_PER_USER and return its id
    for `close_socket` ("" when there is no cap). Raises TooManySockets when the person has
    as many open already, and RedisError or OSError when Redis cannot be reached."""
    cap: int = settings.CHAT_MAX_SOCKETS_PER_USER
    if not cap:
        return ""
    socket_id = uuid.uuid4().hex
    if not await (await _counters()).add_socket(user_id, socket_id, cap):
        raise TooManySockets
    return socket_id


async def close_socket(user_id: int, socket_id: str) -> None:
    """Stop counting a socket. Never raises: an id that Redis did not hear about expires."""
    if not socket_id:
        return
    try:
        await (await _counters()).remove_socket(user_id, socket_id)
    except (RedisError, OSError, TimeoutError) as error:
        logger.warning("Socket %s not uncounted (%r); it expires by itself", socket_id, error)


class Counters(Protocol):
    async def take_send(self, user_id: int, rate: Rate) -> float:
        """Count a send if the person is within `rate`: 0.0, or else the seconds to wait."""

    async def add_socket(self, user_id: int, socket_id: str, cap: int) -> bool:
        """Count a socket if the person has fewer than `cap`; whether it was counted."""

    async def remove_socket(self, user_id: int, socket_id: str) -> None: ...

    async def close(self) -> None: ...


# KEYS[1]: the person's accepted sends, scored by time in ms. ARGV: limit, window in ms.
# Returns 0 when the send is counted, else the ms until the oldest counted send leaves the
# window. Members are the exact time plus the count, unique even within one millisecond.
TAKE_SEND = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], now, t[1] .. '.' .. t[2] .. ':' .. count)
    redis.call('PEXPIRE', KEYS[1], window)
    return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""

# KEYS[1]: the person's sockets, scored by when they expire (ms). ARGV: cap, socket id, ttl
# in ms. Returns 1 when the socket is counted, 0 when the person is at the cap.
ADD_SOCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
    return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS[1]: the person's sockets. ARGV: ttl in ms, then the ids of this process's sockets.
# Adds them back too if Redis lost them (a restart): they are open.
RENEW_SOCKETS = """
local t = redis.call('TIME')
local expires = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do
    redis.call('ZADD', KEYS[1], expires, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
"""


class RedisCounters:
    """The counters in Redis, shared by every process; one client per event loop."""

    def __init__(self, url: str, prefix: str) -> None:
        self.redis = aioredis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self.prefix = f"{prefix}:limits"
        self.take_send_script = self.redis.register_script(TAKE_SEND)
        self.add_socket_script = self.redis.register_script(ADD_SOCKET)
        self.renew_script = self.redis.register_script(RENEW_SOCKETS)
        # This process's counted sockets, renewed by `_renew` while there are any.
        self.sockets: dict[int, set[str]] = defaultdict(set)
        self.renewing: asyncio.Task[None] | None = None

    def _sends_key(self, user_id: int) -> str:
        return f"{self.prefix}:sends:{user_id}"

    def _sockets_key(self, user_id: int) -> str:
        return f"{self.prefix}:sockets:{user_id}"

    async def take_send(self, user_id: int, rate: Rate) -> float:
        wait_ms = await self.take_send_script(
            keys=[self._sends_key(user_id)], args=[rate.count, rate.seconds * 1000]
        )
        return int(wait_ms) / 1000

    async def add_socket(self, user_id: int, socket_id: str, cap: int) -> bool:
        added = await self.add_socket_script(
            keys=[self._sockets_key(user_id)],
            args=[cap, socket_id, SOCKET_TTL_SECONDS * 1000],
        )
        if not added:
            return False
        self.sockets[user_id].add(socket_id)
        if self.renewing is None:
            self.renewing = asyncio.create_task(self._renew(), name="chat-limits-renew")
        return True

    async def remove_socket(self, user_id: int, socket_id: str) -> None:
        mine = self.sockets.get(user_id)
        if mine is not None:
            mine.discard(socket_id)
            if not mine:
                del self.sockets[user_id]
        await self.redis.zrem(self._sockets_key(user_id), socket_id)

    async def _renew(self) -> None:
        """Every HEARTBEAT_SECONDS while this process has sockets: push their expiry on."""
        try:
            while self.sockets:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                try:
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for user_id, ids in list(self.sockets.items()):
                            await self.renew_script(
                                keys=[self._sockets_key(user_id)],
                                args=[SOCKET_TTL_SECONDS * 1000, *ids],
                                client=pipe,
                            )
                        await pipe.execute()
                except (RedisError, OSError, TimeoutError) as error:
                    logger.warning("Renewing socket counts failed (%r); retrying", error)
        finally:
            self.renewing = None

    async def close(self) -> None:
        if self.renewing is not None:
            self.renewing.cancel()
        await self.redis.aclose()


class LocalCounters:
    """The counters in this process's memory, for the embedded default (one process)."""

    def __init__(self) -> None:
        self.sends: dict[int, deque[float]] = defaultdict(deque)
        self.sockets: dict[int, set[str]] = defaultdict(set)

    async def take_send(self, user_id: int, rate: Rate) -> float:
        now = time.monotonic()
        times = self.sends[user_id]
        while times and times[0] <= now - rate.seconds:
            times.popleft()
        if len(times) < rate.count:
            times.append(now)
            return 0.0
        return max(0.001, times[0] + rate.seconds - now)

    async def add_socket(self, user_id: int, socket_id: str, cap: int) -> bool:
        mine = self.sockets[user_id]
        if len(mine) >= cap:
            return False
        mine.add(socket_id)
        return True

    async def remove_socket(self, user_id: int, socket_id: str) -> None:
        mine = self.sockets.get(user_id)
        if mine is not None:
            mine.discard(socket_id)
            if not mine:
                del self.sockets[user_id]

    async def close(self) -> None:
        pass


_counters_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Counters] = (
    weakref.WeakKeyDictionary()
)


async def _counters() -> Counters:
    """This event loop's counters: in Redis when REDIS_URL is set, else in memory."""
    loop = asyncio.get_running_loop()
    counters = _counters_by_loop.get(loop)
    if counters is None:
        if settings.REDIS_URL:
            counters = RedisCounters(settings.REDIS_URL, settings.CHANNEL_LAYER_PREFIX)
        else:
            counters = LocalCounters()
        _counters_by_loop[loop] = counters
    return counters


async def close_counters() -> None:
    """Close this event loop's Redis client (tests, where each test has a loop of its own)."""
    counters = _counters_by_loop.pop(asyncio.get_running_loop(), None)
    if counters is not None:
        await counters.close()
