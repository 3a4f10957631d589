"""Whatever a client sends, the socket answers and stays open, and a row is saved only for a
valid `message.send`: Hypothesis throws arbitrary text, bytes, JSON and frame-shaped JSON
(right types, wrong values, and valid sends) at one socket through the whole ASGI stack."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from chat.frames import CLIENT_ID_RE
from chat.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

# The error codes of docs/protocol.md that a frame can earn here.
DOCUMENTED_ERRORS = {"bad_frame", "empty", "too_long", "unavailable", "room_locked", "muted"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
client_ids = st.from_regex(CLIENT_ID_RE, fullmatch=True)
seqs = st.integers(min_value=-(2**70), max_value=2**70) | json_values
frame_shaped = st.fixed_dictionaries(
    {"type": st.sampled_from(["message.send", "resume", "history"]) | st.text(max_size=15)},
    optional={
        "body": st.text(max_size=4100) | json_values,
        "client_id": client_ids | json_values,
        "after_seq": seqs,
        "before_seq": seqs,
        "limit": seqs,
    },
)
# Sends with every field present, each right or wrong in type, shape or length.
sends = st.fixed_dictionaries(
    {
        "type": st.just("message.send"),
        "body": st.text(max_size=4100) | json_values,
        "client_id": client_ids | st.text(max_size=70) | json_values,
    }
)
valid_sends = st.fixed_dictionaries(
    {
        "type": st.just("message.send"),
        "body": st.text(string.ascii_letters + string.digits + " ", min_size=1, max_size=80).filter(
            str.strip
        ),
        "client_id": client_ids,
    }
)
# Text as a browser could send it: UTF-8 has no lone surrogates.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)
frames = st.one_of(
    any_text.map(lambda text: ("text", text)),
    st.binary(max_size=200).map(lambda data: ("bytes", data)),
    json_values.map(lambda value: ("text", json.dumps(value))),
    frame_shaped.map(lambda value: ("text", json.dumps(value))),
    sends.map(lambda value: ("text", json.dumps(value))),
    valid_sends.map(lambda value: ("text", json.dumps(value))),
)


def might_save(kind: str, data: Any) -> bool:
    """What any saved row must have come from: a message.send with a well-formed client_id
    and a string body with something in it, within the length limit."""
    try:
        frame = json.loads(data) if kind == "text" else None
    except ValueError:
        return False
    if not isinstance(frame, dict) or frame.get("type") != "message.send":
        return False
    client_id, body = frame.get("client_id"), frame.get("body")
    if not isinstance(client_id, str) or not CLIENT_ID_RE.fullmatch(client_id):
        return False
    return isinstance(body, str) and 0 < len(body.strip()) <= django_settings.CHAT_MAX_MESSAGE_CHARS


def plainly_valid(kind: str, data: Any) -> bool:
    """A send of plain letters and digits: it must be saved (or be a repeat)."""
    frame = json.loads(data) if might_save(kind, data) else {}
    body = frame.get("body", "")
    return bool(body.strip()) and set(body) <= set(string.ascii_letters + string.digits + " ")


async def row_count() -> int:
    return await database_sync_to_async(Message.objects.count)()


@pytest.fixture
async def socket(alice, room, connect, settings):
    # Hundreds of frames in seconds, on purpose: flood control is tested on its own.
    settings.CHAT_FRAME_LIMIT = settings.CHAT_RATE_LIMIT = None
    return await connect(alice)


examples = {"n": 0, "seqs": set()}


@hypothesis_settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(frame=frames)
async def test_arbitrary_frames_are_answered_and_save_only_valid_sends(socket, frame):
    kind, data = frame
    examples["n"] += 1
    sentinel = f"sentinel-{examples['n']}"
    before = await row_count()

    # As the server hands frames over, empty ones included (send_to refuses those).
    await socket.send_input({"type": "websocket.receive", kind: data})
    # Frames are answered in order: once this one's answer is in, so is the frame's.
    await socket.send_json_to({"type": "message.send", "body": " ", "client_id": sentinel})
    answers: list[dict] = []
    while True:
        output = await socket.receive_output(timeout=10)
        assert output["type"] == "websocket.send", f"the socket closed: {output}"
        answer = json.loads(output["text"])
        if answer.get("client_id") == sentinel:
            assert answer["code"] == "empty"
            break
        if answer["type"] != "message":  # broadcasts of sends, which the acks account for
            answers.append(answer)

    saved = await row_count() - before
    acks = [answer for answer in answers if answer["type"] == "ack"]
    fresh = [ack for ack in acks if ack["seq"] not in examples["seqs"]]
    examples["seqs"].update(ack["seq"] for ack in acks)
    assert saved == len(fresh)
    assert len(acks) <= 1
    if saved:
        assert might_save(kind, data), data
    if plainly_valid(kind, data):
        assert len(acks) == 1, answers
    for answer in answers:
        if answer["type"] == "error":
            assert answer["code"] in DOCUMENTED_ERRORS, answer
            assert answer["detail"]
        else:
            assert answer["type"] in {"ack", "history", "resumed"}, answer
