"""CHAT_FRAME_LIMIT caps the frames of any type one socket sends: past it each frame is
answered `rate_limited` with `retry_after` and not acted on (a send past it saves nothing),
and a socket that keeps going to twice the limit is closed with 4429. 0 means no cap."""

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from project.env import Rate

pytestmark = pytest.mark.django_db(transaction=True)

HISTORY = {"type": "history", "limit": 1}


async def test_frames_past_the_limit_get_rate_limited_then_the_socket_is_closed(
    alice, room, connect, settings
):
    settings.CHAT_FRAME_LIMIT = Rate(10, 10)
    socket = await connect(alice)

    for _ in range(10):
        await socket.send_json_to(HISTORY)
        assert (await socket.receive_json_from(timeout=5))["type"] == "history"
    await socket.send_json_to({"type": "message.send", "body": "hi", "client_id": "over"})
    limited = await socket.receive_json_from(timeout=5)
    assert (limited["code"], limited["client_id"]) == ("rate_limited", "over")
    assert 1 <= limited["retry_after"] <= 10
    for _ in range(9):
        await socket.send_json_to(HISTORY)
        assert (await socket.receive_json_from(timeout=5))["code"] == "rate_limited"
    assert await database_sync_to_async(Message.objects.count)() == 0

    await socket.send_json_to(HISTORY)  # the 21st within the window
    closed = await socket.receive_output(timeout=5)
    assert (closed["type"], closed["code"]) == ("websocket.close", 4429)


async def test_zero_means_no_frame_cap(alice, room, connect, settings):
    settings.CHAT_FRAME_LIMIT = None  # CHAT_FRAME_LIMIT=0
    socket = await connect(alice)
    for _ in range(250):
        await socket.send_json_to(HISTORY)
        assert (await socket.receive_json_from(timeout=5))["type"] == "history"


async def test_the_default_allows_a_burst_of_100_frames(alice, room, connect, settings):
    assert settings.CHAT_FRAME_LIMIT == (100, 10)
    settings.CHAT_RATE_LIMIT = None  # the per-person message limit is tested on its own
    socket = await connect(alice)
    for n in range(100):
        await socket.send_json_to({"type": "message.send", "body": f"{n}", "client_id": f"c{n}"})
    answers = []
    while len(answers) < 100:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] != "message":
            answers.append(frame["type"])
    assert answers == ["ack"] * 100
