"""Who is in a room, and who is typing there (docs/protocol.md, "Presence" and "Typing").

Presence is kept per (room, person), never per socket, so that a person with two tabs is one
entry, and it is ephemeral: nothing is written to the database.

- Each process counts its own sockets per (room, person) in memory. Every socket opening
  costs one script call to the shared store (it records the person and answers the list);
  only the last socket of a person in a room on this process closing removes them.
- The shared store (Redis, under the channel layer's prefix CHANNEL_LAYER_PREFIX) holds, per
  room, the people present with the moment their entry expires, and per (room, person) the
  processes that hold a socket of theirs, each with its own expiry. Every
  `heartbeat_seconds()` (a third of CHAT_PRESENCE_TTL_SECONDS) each process renews its
  entries in one round trip, then sweeps: entries whose process stopped renewing (it was
  killed) are removed by a Lua script, atomically, and the script returns the people who
  thereby left, so exactly one process publishes each `presence.leave`. A ghost therefore
  lasts at most TTL + one heartbeat (45 + 15 = 60 s by default), and new sockets' lists
  leave out expired entries at once.
- `presence.join` goes out when a person's entry is new (no live entry from any process);
  `presence.leave` when the last process holding them leaves. A person's last socket here
  closing waits LEAVE_GRACE_SECONDS before leaving: a reload (close, then open within the
  grace) announces nothing at all, and the leave still goes out well within the contract's
  5 s.
- A room with more than CHAT_PRESENCE_LIMIT people present is a crowd: its list names the
  first CHAT_PRESENCE_LIMIT by username with the count, and its joins and leaves are not
  announced one by one (each is a frame to every socket of the room, so filling a room of
  N would cost N² frames); entering and leaving the crowd state sends everyone the list.
- With no REDIS_URL (the embedded default, one process) the store is this process's memory.

Frames ride the room's group (chat/broadcast.py): a join skips the joiner's own socket (it has
its `presence` list), and a typing frame skips every socket of the typist, on every process.

When Redis fails, presence degrades rather than the chat: the new socket's list is just
itself, and entries left behind expire by themselves.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import redis.asyncio as aioredis
from django.conf import settings
from django.utils import timezone
from redis.exceptions import RedisError

from chat import frames
from chat.broadcast import frame_event, publish, room_group_name
from chat.models import RoomBan

logger = logging.getLogger(__name__)

# A person's last socket in a room closing waits this long before they leave: a reload
# opens the next socket within it, and nobody sees them leave and come back.
LEAVE_GRACE_SECONDS = 1.5
# A Redis that does not answer within this counts as down.
REDIS_TIMEOUT_SECONDS = 2.0
# Rooms one sweep looks at, at most; the next heartbeat takes the rest.
SWEEP_ROOMS = 200
# One typing frame per socket per this many seconds; the rest are dropped silently.
TYPING_INTERVAL_SECONDS = 1.0

Person = tuple[int, str]  # (user id, username)


def heartbeat_seconds() -> float:
    return settings.CHAT_PRESENCE_TTL_SECONDS / 3


@dataclass(frozen=True)
class Here:
    """Who is in a room: how many people, and the first CHAT_PRESENCE_LIMIT of them by
    username (all of them unless the room is a crowd)."""

    count: int
    people: list[Person]


class Store(Protocol):
    async def arrive(self, room_id: int, person: Person, limit: int) -> tuple[bool, Here]:
        """Record this process as holding `person` in the room. Returns whether they are new
        there (no live entry from any process) and who is there now, them included."""

    async def depart(self, room_id: int, user_id: int) -> int | None:
        """This process holds `user_id` no more. When that was their last entry, returns how
        many people are left in the room; else None."""

    async def here(self, room_id: int, limit: int) -> Here: ...

    async def renew(self, held: dict[int, dict[int, str]]) -> list[tuple[int, Person, int]]:
        """Push on the expiry of this process's entries; returns those that had been lost
        (swept while this process stalled, or Redis restarted), with the room's count, to
        be announced again."""

    async def sweep(self) -> list[tuple[int, Person, int]]:
        """Remove expired entries; returns the people who left by it, each with how many
        are left in the room (claimed: no other process gets them too)."""

    async def close(self) -> None: ...


# Keys (P = "<CHANNEL_LAYER_PREFIX>:presence"):
#   P:rooms            zset room id -> earliest expiry among its people (what sweeps visit)
#   P:r:<room>         zset user id -> expiry of their latest process entry
#   P:r:<room>:names   hash user id -> username
#   P:r:<room>:lex     zset (all scores 0) "username\0user id": the list, by username
#   P:r:<room>:u:<uid> zset process id -> expiry
# Times are Redis's own (TIME), so processes whose clocks disagree still agree here.

_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- P:rooms holds the room's earliest expiry, or nothing once the room is empty.
local function room_score(rooms, rk, rid, ttl)
    local lo = redis.call('ZRANGE', rk, 0, 0, 'WITHSCORES')
    if #lo == 0 then
        redis.call('ZREM', rooms, rid)
        redis.call('DEL', rk, rk .. ':names', rk .. ':lex')
    else
        redis.call('ZADD', rooms, lo[2], rid)
        if ttl then
            redis.call('PEXPIRE', rk, ttl)
            redis.call('PEXPIRE', rk .. ':names', ttl)
            redis.call('PEXPIRE', rk .. ':lex', ttl)
            redis.call('PEXPIRE', rooms, ttl)
        end
    end
end

local function count(rk)
    return redis.call('ZCOUNT', rk, '(' .. now, '+inf')
end

-- The first `limit` live people by username, as {uid, name, uid, name, ...}.
local function first(rk, limit)
    local out = {}
    local taken = 0
    local start = 0
    while taken < limit do
        local batch = redis.call('ZRANGE', rk .. ':lex', start, start + limit - 1)
        if #batch == 0 then break end
        local uids, names = {}, {}
        for i, member in ipairs(batch) do
            local cut = string.find(member, '\\0', 1, true)
            uids[i], names[i] = string.sub(member, cut + 1), string.sub(member, 1, cut - 1)
        end
        local scores = redis.call('ZMSCORE', rk, unpack(uids))
        for i = 1, #batch do
            if scores[i] and tonumber(scores[i]) > now and taken < limit then
                table.insert(out, uids[i])
                table.insert(out, names[i])
                taken = taken + 1
            end
        end
        start = start + limit
    end
    return out
end

local function name_as(rk, uid, name)
    local old = redis.call('HGET', rk .. ':names', uid)
    if old and old ~= name then redis.call('ZREM', rk .. ':lex', old .. '\\0' .. uid) end
    redis.call('HSET', rk .. ':names', uid, name)
    redis.call('ZADD', rk .. ':lex', 0, name .. '\\0' .. uid)
end

local function forget(rk, uid)
    local name = redis.call('HGET', rk .. ':names', uid)
    redis.call('ZREM', rk, uid)
    redis.call('HDEL', rk .. ':names', uid)
    if name then redis.call('ZREM', rk .. ':lex', name .. '\\0' .. uid) end
    return name or ''
end
"""

# KEYS: P:rooms, P:r:<room>, P:r:<room>:u:<uid>. ARGV: room id, user id, username, process,
# ttl ms, limit. Returns {new (0/1), count, {uid, name, ...}}.
ARRIVE = (
    _COMMON
    + """
local ttl = tonumber(ARGV[5])
local before = redis.call('ZSCORE', KEYS[2], ARGV[2])
local new = 0
if (not before) or tonumber(before) <= now then new = 1 end
redis.call('ZADD', KEYS[3], now + ttl, ARGV[4])
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('ZADD', KEYS[2], 'GT', now + ttl, ARGV[2])
name_as(KEYS[2], ARGV[2], ARGV[3])
room_score(KEYS[1], KEYS[2], ARGV[1], ttl)
return {new, count(KEYS[2]), first(KEYS[2], tonumber(ARGV[6]))}
"""
)

# KEYS: P:r:<room>. ARGV: limit. Returns {count, {uid, name, ...}}.
HERE = (
    _COMMON
    + """
return {count(KEYS[1]), first(KEYS[1], tonumber(ARGV[1]))}
"""
)

# KEYS: P:rooms, P:r:<room>, P:r:<room>:u:<uid>. ARGV: room id, user id, process.
# Returns how many are left when this removed the person's last entry, else -1.
DEPART = (
    _COMMON
    + """
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local hi = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
if #hi > 0 then
    redis.call('ZADD', KEYS[2], hi[2], ARGV[2])
    return -1
end
redis.call('DEL', KEYS[3])
if not redis.call('ZSCORE', KEYS[2], ARGV[2]) then return -1 end  -- swept: announced
forget(KEYS[2], ARGV[2])
local left = count(KEYS[2])
room_score(KEYS[1], KEYS[2], ARGV[1], nil)
return left
"""
)

# KEYS: P:rooms, P:r:<room>, then P:r:<room>:u:<uid> for each person. ARGV: room id, process,
# ttl ms, then user id and username for each person. Returns {count, lost uid, ...}: the
# people who had no live entry, to be announced again.
RENEW = (
    _COMMON
    + """
local ttl = tonumber(ARGV[3])
local lost = {}
for i = 3, #KEYS do
    local uid = ARGV[2 + 2 * (i - 2)]
    local before = redis.call('ZSCORE', KEYS[2], uid)
    if (not before) or tonumber(before) <= now then table.insert(lost, uid) end
    redis.call('ZADD', KEYS[i], now + ttl, ARGV[2])
    redis.call('PEXPIRE', KEYS[i], ttl)
    redis.call('ZADD', KEYS[2], 'GT', now + ttl, uid)
    name_as(KEYS[2], uid, ARGV[3 + 2 * (i - 2)])
end
room_score(KEYS[1], KEYS[2], ARGV[1], ttl)
table.insert(lost, 1, count(KEYS[2]))
return lost
"""
)

# KEYS: P:rooms. ARGV: P, rooms per sweep. Returns room id, user id, username, count left
# for each person whose last entry expired; removing them here is the claim (scripts run
# atomically, so exactly one process announces each).
SWEEP = (
    _COMMON
    + """
local rooms = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, ARGV[2])
local out = {}
for _, rid in ipairs(rooms) do
    local rk = ARGV[1] .. ':r:' .. rid
    for _, uid in ipairs(redis.call('ZRANGE', rk, '-inf', now, 'BYSCORE')) do
        local uk = rk .. ':u:' .. uid
        redis.call('ZREMRANGEBYSCORE', uk, '-inf', now)
        local hi = redis.call('ZRANGE', uk, -1, -1, 'WITHSCORES')
        if #hi > 0 then
            redis.call('ZADD', rk, hi[2], uid)
        else
            redis.call('DEL', uk)
            local name = forget(rk, uid)
            table.insert(out, rid)
            table.insert(out, uid)
            table.insert(out, name)
            table.insert(out, count(rk))
        end
    end
    room_score(KEYS[1], rk, rid, nil)
end
return out
"""
)


def _people(flat: list[bytes]) -> list[Person]:
    return [(int(flat[i]), flat[i + 1].decode()) for i in range(0, len(flat), 2)]


class RedisStore:
    """Presence in Redis, shared by every process; one client per event loop."""

    def __init__(self, url: str, prefix: str, process_id: str) -> None:
        self.redis = aioredis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self.prefix = f"{prefix}:presence"
        self.process_id = process_id
        self.arrive_script = self.redis.register_script(ARRIVE)
        self.here_script = self.redis.register_script(HERE)
        self.depart_script = self.redis.register_script(DEPART)
        self.renew_script = self.redis.register_script(RENEW)
        self.sweep_script = self.redis.register_script(SWEEP)

    def _room(self, room_id: int) -> str:
        return f"{self.prefix}:r:{room_id}"

    def _keys(self, room_id: int, user_id: int) -> list[str]:
        room = self._room(room_id)
        return [f"{self.prefix}:rooms", room, f"{room}:u:{user_id}"]

    @staticmethod
    def _ttl_ms() -> int:
        return settings.CHAT_PRESENCE_TTL_SECONDS * 1000

    async def arrive(self, room_id: int, person: Person, limit: int) -> tuple[bool, Here]:
        user_id, username = person
        new, count, people = await self.arrive_script(
            keys=self._keys(room_id, user_id),
            args=[room_id, user_id, username, self.process_id, self._ttl_ms(), limit],
        )
        return bool(new), Here(int(count), _people(people))

    async def here(self, room_id: int, limit: int) -> Here:
        count, people = await self.here_script(keys=[self._room(room_id)], args=[limit])
        return Here(int(count), _people(people))

    async def depart(self, room_id: int, user_id: int) -> int | None:
        left = await self.depart_script(
            keys=self._keys(room_id, user_id), args=[room_id, user_id, self.process_id]
        )
        return None if int(left) < 0 else int(left)

    async def renew(self, held: dict[int, dict[int, str]]) -> list[tuple[int, Person, int]]:
        rooms = list(held.items())
        async with self.redis.pipeline(transaction=False) as pipe:
            for room_id, people in rooms:
                room = self._room(room_id)
                keys = [f"{self.prefix}:rooms", room, *(f"{room}:u:{uid}" for uid in people)]
                args: list[int | str] = [room_id, self.process_id, self._ttl_ms()]
                for user_id, username in people.items():
                    args += [user_id, username]
                await self.renew_script(keys=keys, args=args, client=pipe)
            answers = await pipe.execute()
        return [
            (room_id, (int(uid), people.get(int(uid), "")), int(answer[0]))
            for (room_id, people), answer in zip(rooms, answers, strict=True)
            for uid in answer[1:]
        ]

    async def sweep(self) -> list[tuple[int, Person, int]]:
        out = await self.sweep_script(
            keys=[f"{self.prefix}:rooms"], args=[self.prefix, SWEEP_ROOMS]
        )
        return [
            (int(out[i]), (int(out[i + 1]), out[i + 2].decode()), int(out[i + 3]))
            for i in range(0, len(out), 4)
        ]

    async def close(self) -> None:
        await self.redis.aclose()


class LocalStore:
    """Presence in this process's memory, for the embedded default (one process)."""

    def __init__(self) -> None:
        self.rooms: dict[int, dict[int, str]] = defaultdict(dict)

    async def arrive(self, room_id: int, person: Person, limit: int) -> tuple[bool, Here]:
        people = self.rooms[room_id]
        new = person[0] not in people
        people[person[0]] = person[1]
        return new, await self.here(room_id, limit)

    async def here(self, room_id: int, limit: int) -> Here:
        people = self.rooms.get(room_id, {})
        return Here(len(people), by_username(people.items())[:limit])

    async def depart(self, room_id: int, user_id: int) -> int | None:
        people = self.rooms.get(room_id, {})
        if people.pop(user_id, None) is None:
            return None
        if not people:
            self.rooms.pop(room_id, None)
        return len(people)

    async def renew(self, held: dict[int, dict[int, str]]) -> list[tuple[int, Person, int]]:
        return []

    async def sweep(self) -> list[tuple[int, Person, int]]:
        return []

    async def close(self) -> None:
        pass


def by_username(people: Iterable[Person]) -> list[Person]:
    return sorted(people, key=lambda person: (person[1], person[0]))


class Presence:
    """This process's side of presence: its sockets counted per (room, person), the store,
    and the heartbeat that renews and sweeps while the process has anyone present."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sockets: dict[tuple[int, int], int] = defaultdict(int)
        # Who this process holds in each room (renewed by the heartbeat), grace included.
        self.held: dict[int, dict[int, str]] = defaultdict(dict)
        self.leaving: dict[tuple[int, int], asyncio.Task[None]] = {}
        self.beating: asyncio.Task[None] | None = None

    async def arrive(self, room_id: int, person: Person) -> Here:
        """Count a socket of `person` in the room; returns who is there, and announces the
        person when they are new in the room."""
        key = (room_id, person[0])
        self.sockets[key] += 1
        self.held[room_id][person[0]] = person[1]
        pending = self.leaving.pop(key, None)
        if pending is not None:
            pending.cancel()  # a reload: they never left
            await asyncio.wait([pending])
        self._start_heartbeat()
        limit = settings.CHAT_PRESENCE_LIMIT
        try:
            new, here = await self.store.arrive(room_id, person, limit)
        except (RedisError, OSError, TimeoutError) as error:
            logger.warning("Presence unavailable (%r); the list is the socket's own", error)
            return Here(1, [person])
        if new:
            await self.joined(room_id, person, here.count)
        return Here(here.count, by_username(here.people))

    async def joined(self, room_id: int, person: Person, count: int) -> None:
        """Announce a join while the room is no crowd; the join that makes it one sends
        everyone the list instead (with its count)."""
        limit = settings.CHAT_PRESENCE_LIMIT
        if count == 1:
            return  # alone in the room: nobody to tell
        if count <= limit:
            await announce_join(room_id, person)
        elif count == limit + 1:
            await self.announce_list(room_id)

    async def left(self, room_id: int, person: Person, count: int) -> None:
        """Announce a leave while the room is no crowd; the leave that ends a crowd sends
        everyone the list, whose leaves and joins they missed."""
        limit = settings.CHAT_PRESENCE_LIMIT
        if count < limit:
            await announce_leave(room_id, person)
        elif count == limit:
            await self.announce_list(room_id)

    async def announce_list(self, room_id: int) -> None:
        here = await self.store.here(room_id, settings.CHAT_PRESENCE_LIMIT)
        group = room_group_name(room_id)
        frame = frames.presence_frame(by_username(here.people), here.count)
        await publish(group, frame_event(group, frame))

    def depart(self, room_id: int, user_id: int) -> None:
        """Uncount a socket; once the person has none left here, they leave after the grace."""
        key = (room_id, user_id)
        self.sockets[key] -= 1
        if self.sockets[key] > 0:
            return
        del self.sockets[key]
        if key not in self.leaving:
            self.leaving[key] = asyncio.create_task(
                self._leave_later(key), context=contextvars.Context()
            )

    async def _leave_later(self, key: tuple[int, int]) -> None:
        await asyncio.sleep(LEAVE_GRACE_SECONDS)
        room_id, user_id = key
        if self.leaving.get(key) is not asyncio.current_task():
            return
        del self.leaving[key]
        people = self.held.get(room_id, {})
        username = people.pop(user_id, "")
        if not people:
            self.held.pop(room_id, None)
        try:
            left = await self.store.depart(room_id, user_id)
            if left is not None:
                await self.left(room_id, (user_id, username), left)
        except (RedisError, OSError, TimeoutError) as error:
            logger.warning("Presence leave not recorded (%r); it expires by itself", error)

    def _start_heartbeat(self) -> None:
        if self.beating is None:
            self.beating = asyncio.create_task(
                self._heartbeat(), name="chat-presence", context=contextvars.Context()
            )

    async def _heartbeat(self) -> None:
        """While anyone is present here: renew this process's entries, then sweep the
        entries of processes that stopped renewing and announce who left by them."""
        try:
            while self.held:
                await asyncio.sleep(heartbeat_seconds())
                try:
                    for room_id, person, count in await self.store.renew(dict(self.held)):
                        await self.joined(room_id, person, count)
                    for room_id, person, count in await self.store.sweep():
                        await self.left(room_id, person, count)
                except (RedisError, OSError, TimeoutError) as error:
                    logger.warning("Presence heartbeat failed (%r); retrying", error)
        finally:
            self.beating = None

    async def close(self) -> None:
        for task in [self.beating, *self.leaving.values()]:
            if task is not None:
                task.cancel()
        await self.store.close()


async def announce_join(room_id: int, person: Person) -> None:
    group = room_group_name(room_id)
    frame = frames.presence_join_frame(*person)
    await publish(group, frame_event(group, frame, skip_user=person[0]))


async def announce_leave(room_id: int, person: Person) -> None:
    group = room_group_name(room_id)
    await publish(group, frame_event(group, frames.presence_leave_frame(*person)))


_presence_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Presence] = (
    weakref.WeakKeyDictionary()
)


def get_presence() -> Presence:
    """This event loop's presence: in Redis when REDIS_URL is set, else in memory."""
    loop = asyncio.get_running_loop()
    found = _presence_by_loop.get(loop)
    if found is None:
        if settings.REDIS_URL:
            process_id = f"{time.time_ns():x}-{id(loop):x}"
            store: Store = RedisStore(settings.REDIS_URL, settings.CHANNEL_LAYER_PREFIX, process_id)
        else:
            store = LocalStore()
        found = _presence_by_loop[loop] = Presence(store)
    return found


async def close_presence() -> None:
    """Close this event loop's presence (tests, where each test has a loop of its own)."""
    found = _presence_by_loop.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.close()


# Typing


class TypingGate:
    """CHAT typing rate for one socket: one frame a second, the rest dropped."""

    __slots__ = ("next_at",)

    def __init__(self) -> None:
        self.next_at = 0.0

    def passes(self) -> bool:
        now = time.monotonic()
        if now < self.next_at:
            return False
        self.next_at = now + TYPING_INTERVAL_SECONDS
        return True


def may_type(
    *, locked: bool, archived: bool, restriction: str | None, until: datetime | None
) -> bool:
    """Whether a person's typing is shown: not in a read-only room, not while muted or
    banned (a mute with no end, or one that has not ended yet)."""
    if locked or archived:
        return False
    if restriction == RoomBan.Kind.BAN:
        return False
    muted = restriction == RoomBan.Kind.MUTE and (until is None or until > timezone.now())
    return not muted


_typing: set[asyncio.Task[bool]] = set()


def send_typing_soon(room_id: int, person: Person) -> None:
    """Publish `typing` to the room's group in the background, to every socket there but the
    typist's own (chat.broadcast.Hub.dispatch skips them)."""
    group = room_group_name(room_id)
    event = frame_event(group, frames.typing_frame(*person), skip_user=person[0])
    task = asyncio.create_task(publish(group, event))
    _typing.add(task)
    task.add_done_callback(_typing.discard)
