"""The "handwritten" reference: what plain asyncio Python does with the same job.

The `websockets` library's server and a `psycopg_pool.AsyncConnectionPool`; no Django, no
auth, no seq, no idempotency. Per received frame, one INSERT (autocommit) returning the
row's id, then an `ack` to the sender, then the frame, encoded once, written to every socket
of the room in this process (`websockets.broadcast`: no per-socket queue, no backpressure).
Frames on one socket are handled in order; the pool lets different sockets insert at once.

    .venv/bin/python -m bench.load.handwritten --port 8002 \
        --database postgres://postgres@127.0.0.1:5432/parley_bench_handwritten

Frames, its own minimal dialect (any path is a room; /ws/chat/bench/ is the bench's):

    -> {"body": "hi", "client_id": "c-1"}
    <- {"type": "ack", "client_id": "c-1", "id": 17}            (to the sender, after INSERT)
    <- {"type": "message", "id": 17, "body": "hi", "client_id": "c-1"}     (to the room)

Compression is off, as daphne has it. It creates its table if missing; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import defaultdict

from psycopg_pool import AsyncConnectionPool
from websockets.asyncio.server import ServerConnection, broadcast, serve

SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id bigserial PRIMARY KEY,
    room text NOT NULL,
    body text NOT NULL,
    client_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
INSERT = "INSERT INTO message (room, body, client_id) VALUES (%s, %s, %s) RETURNING id"


async def run(host: str, port: int, database: str) -> None:
    rooms: dict[str, set[ServerConnection]] = defaultdict(set)
    pool = AsyncConnectionPool(
        database, min_size=4, max_size=10, kwargs={"autocommit": True}, open=False
    )
    await pool.open(wait=True)
    async with pool.connection() as connection:
        await connection.execute(SCHEMA)

    async def chat(socket: ServerConnection) -> None:
        room = socket.request.path if socket.request else "/"
        members = rooms[room]
        members.add(socket)
        try:
            async for raw in socket:
                frame = json.loads(raw)
                body, client_id = frame["body"], frame["client_id"]
                async with pool.connection() as connection:
                    cursor = await connection.execute(INSERT, (room, body, client_id))
                    row = await cursor.fetchone()
                assert row is not None
                await socket.send(json.dumps({"type": "ack", "client_id": client_id, "id": row[0]}))
                message = {"type": "message", "id": row[0], "body": body, "client_id": client_id}
                broadcast(members, json.dumps(message))
        finally:
            members.discard(socket)

    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    try:
        async with serve(chat, host, port, compression=None, max_size=65536):
            await stop
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL")
    options = parser.parse_args()
    asyncio.run(run(options.host, options.port, options.database))


if __name__ == "__main__":
    main()
