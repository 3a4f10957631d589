"""Every malformed frame gets its documented error code, saves nothing, and leaves the
socket usable."""

import json

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)

LONG = "x" * 4001

# (frame as sent, expected error code, expected client_id in the error)
CASES = [
    ("not json", "bad_frame", None),
    ("{", "bad_frame", None),
    ("   ", "bad_frame", None),
    ("[]", "bad_frame", None),
    ('"message.send"', "bad_frame", None),
    ("42", "bad_frame", None),
    ("null", "bad_frame", None),
    ("{}", "bad_frame", None),
    ('{"type": 7}', "bad_frame", None),
    ('{"type": "message.delete"}', "bad_frame", None),
    ('{"type": "message.send", "body": "hi"}', "bad_frame", None),
    ('{"type": "message.send", "body": "hi", "client_id": ""}', "bad_frame", None),
    ('{"type": "message.send", "body": "hi", "client_id": "has space"}', "bad_frame", None),
    ('{"type": "message.send", "body": "hi", "client_id": "' + "a" * 65 + '"}', "bad_frame", None),
    ('{"type": "message.send", "body": "hi", "client_id": 12}', "bad_frame", None),
    ('{"type": "message.send", "client_id": "c1"}', "bad_frame", "c1"),
    ('{"type": "message.send", "body": 5, "client_id": "c1"}', "bad_frame", "c1"),
    ('{"type": "message.send", "body": ["hi"], "client_id": "c1"}', "bad_frame", "c1"),
    ('{"type": "message.send", "body": "", "client_id": "c2"}', "empty", "c2"),
    ('{"type": "message.send", "body": " \\n\\t ", "client_id": "c2"}', "empty", "c2"),
    (json.dumps({"type": "message.send", "body": LONG, "client_id": "c3"}), "too_long", "c3"),
    ('{"type": "message.send", "body": "a\\u0000b", "client_id": "c4"}', "bad_frame", "c4"),
    ('{"type": "message.send", "body": "a\\ud800b", "client_id": "c4"}', "bad_frame", "c4"),
    ('{"type": "resume"}', "bad_frame", None),
    ('{"type": "resume", "after_seq": -1}', "bad_frame", None),
    ('{"type": "resume", "after_seq": "5"}', "bad_frame", None),
    ('{"type": "resume", "after_seq": 1.5}', "bad_frame", None),
    ('{"type": "resume", "after_seq": true}', "bad_frame", None),
    ('{"type": "resume", "after_seq": 99999999999999999999999}', "bad_frame", None),
    ('{"type": "history", "before_seq": "x"}', "bad_frame", None),
    ('{"type": "history", "before_seq": 10, "limit": 0}', "bad_frame", None),
    ('{"type": "history", "limit": "50"}', "bad_frame", None),
    ("[" * 100_000 + "]" * 100_000, "bad_frame", None),
]


async def test_every_malformed_frame_gets_its_error_and_the_socket_stays_usable(
    alice, room, connect
):
    socket = await connect(alice)
    for text, code, client_id in CASES:
        await socket.send_to(text_data=text)
        error = await socket.receive_json_from(timeout=5)
        assert error["type"] == "error", text[:80]
        assert (error["code"], error["client_id"]) == (code, client_id), text[:80]
        assert error["detail"]

    assert await database_sync_to_async(Message.objects.count)() == 0
    ack = await send_and_ack(socket, "still here", "after-errors")
    assert (ack["type"], ack["seq"]) == ("ack", 1)


async def test_binary_frames_are_refused_with_bad_frame(alice, room, connect):
    socket = await connect(alice)
    await socket.send_to(bytes_data=b'{"type": "history"}')
    error = await socket.receive_json_from(timeout=5)
    assert error["code"] == "bad_frame"


async def test_a_body_of_exactly_the_limit_is_accepted(alice, room, connect):
    socket = await connect(alice)
    ack = await send_and_ack(socket, "  " + "y" * 4000 + "  ", "at-limit")
    assert ack["type"] == "ack"
    stored = await database_sync_to_async(Message.objects.get)()
    assert stored.body == "y" * 4000
