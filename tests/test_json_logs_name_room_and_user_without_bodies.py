"""With LOG_FORMAT=json a real server writes one JSON object per line: a socket's connect
and each send are lines of their own naming the room, the user id and the request id, an
HTTP request's line carries the proxy's X-Request-ID, and no message body appears."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.conftest import session_cookie
from tests.processes import ParleyServer, Processes
from tests.room_client import RoomSocket, get_json

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "a body that must never reach the logs 7f3a"


def log_lines(server: ParleyServer, until: str, seconds: float = 5) -> list[dict]:
    deadline = time.monotonic() + seconds
    while True:
        lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
        if any(line["message"].startswith(until) for line in lines):
            return lines
        assert time.monotonic() < deadline, f"no {until!r} line:\n{server.output()}"
        time.sleep(0.05)


def test_socket_and_request_events_are_json_lines_with_room_and_user(alice, room, tmp_path):
    with Processes(tmp_path) as processes:
        [server] = processes.parley(LOG_FORMAT="json")
        cookie = session_cookie(alice)
        asyncio.run(chat(server, cookie))
        status, _ = get_json(
            f"{server.url}/api/rooms/general/messages/", cookie, **{"X-Request-ID": "req-42"}
        )
        assert status == 200
        lines = log_lines(server, until="socket closed")
        log_lines(server, until="GET /api/rooms/general/messages/")

    text = server.output()
    assert BODY not in text
    assert cookie.decode().split("=", 1)[1] not in text  # the session key is a secret too

    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    [opened] = [line for line in lines if line["message"] == "socket opened"]
    [saved] = [line for line in lines if line["message"].startswith("message saved")]
    [closed] = [line for line in lines if line["message"].startswith("socket closed")]
    for line in (opened, saved, closed):
        assert line["room"] == "general"
        assert line["user_id"] == alice.pk
        assert line["request_id"] == opened["request_id"]
    assert (saved["seq"], saved["client_id"]) == (1, "logged-1")
    assert closed["code"] == 1000

    [request] = [line for line in lines if line["message"].startswith("GET /api/")]
    assert request["request_id"] == "req-42"
    assert (request["status"], request["path"]) == (200, "/api/rooms/general/messages/")


async def chat(server: ParleyServer, cookie: bytes) -> None:
    socket = await RoomSocket.open(server.ws_url, "general", cookie)
    assert (await socket.send_message(BODY, "logged-1"))["type"] == "ack"
    await socket.close()
