"""With REDIS_URL listing two Redis servers, the channel layer shards rooms over both (each
room's group on one server, the same one for every process), and rooms on either server
still deliver between two server processes."""

from __future__ import annotations

import asyncio

import pytest
from channels_redis.utils import _consistent_hash

from accounts.models import User
from chat.models import Room
from tests.conftest import session_cookie
from tests.processes import ParleyServer, Processes, RedisServer
from tests.room_client import RoomSocket

pytestmark = pytest.mark.django_db(transaction=True)


def group_channel(prefix: str, room: Room) -> str:
    # How channels_redis's pub/sub layer names a group on Redis, and picks its server.
    return f"{prefix}__group__{room.group_name}"


def rooms_one_per_shard(alice: User, prefix: str) -> list[Room]:
    by_shard: dict[int, Room] = {}
    for n in range(64):
        room = Room.objects.create(name=f"Room {n}", slug=f"room-{n}", created_by=alice)
        by_shard.setdefault(_consistent_hash(group_channel(prefix, room), 2), room)
        if len(by_shard) == 2:
            return [by_shard[0], by_shard[1]]
    raise AssertionError("64 rooms all hashed to one server")


def test_rooms_on_either_redis_server_deliver_across_two_processes(alice, bob, tmp_path):
    with Processes(tmp_path) as processes:
        redis = [processes.redis(), processes.redis()]
        rooms = rooms_one_per_shard(alice, processes.prefix)
        servers = processes.parley(count=2, redis_urls=[r.url for r in redis])
        asyncio.run(chat_in_both(servers, redis, rooms, session_cookie(alice), session_cookie(bob)))


async def chat_in_both(
    servers: list[ParleyServer],
    redis: list[RedisServer],
    rooms: list[Room],
    alice: bytes,
    bob: bytes,
) -> None:
    for shard, room in enumerate(rooms):
        here = await RoomSocket.open(servers[0].ws_url, room.slug, alice)
        there = await RoomSocket.open(servers[1].ws_url, room.slug, bob)
        ack = await there.send_message(f"hello {room.slug}", f"b-{room.slug}")
        assert (await here.heard(ack["seq"]))["body"] == f"hello {room.slug}"
        ack = await here.send_message(f"back in {room.slug}", f"a-{room.slug}")
        assert (await there.heard(ack["seq"]))["body"] == f"back in {room.slug}"

        # The room's group lives on its own server only, subscribed by both processes.
        name = group_channel_name(room, servers)
        subscribers = [await asyncio.to_thread(numsub, server, name) for server in redis]
        assert subscribers[shard] == 2
        assert subscribers[1 - shard] == 0
        await here.close()
        await there.close()


def group_channel_name(room: Room, servers: list[ParleyServer]) -> str:
    return group_channel(servers[0].env["CHANNEL_LAYER_PREFIX"], room)


def numsub(redis: RedisServer, channel: str) -> int:
    """Subscribers of `channel` on this Redis server (PUBSUB NUMSUB)."""
    reply = redis.command("PUBSUB", "NUMSUB", channel).split(b"\r\n")
    # *2, $len, channel, :count
    return int(reply[3].lstrip(b":"))
