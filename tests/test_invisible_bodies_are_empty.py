"""A body of nothing but invisible characters (format characters such as zero-width spaces,
bidi marks and the BOM, separators, blank fillers) is `empty`, like a body of spaces: the
sender gets the error and nothing is stored or broadcast."""

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from tests.conftest import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200e\u200f",  # left-to-right and right-to-left marks
    "\ufeff",  # byte order mark
    "\u2060",  # word joiner
    "\u202e",  # right-to-left override
    " \u200b\u200c\u200d \u00a0\u3000\n",  # joiners among spaces of several kinds
    "\U000e0041\U000e0042",  # tag characters
    "\u3164\u115f",  # Hangul fillers
    "\u2800",  # braille pattern blank
    "\ufe0f\u034f",  # variation selector, combining grapheme joiner
]


@pytest.mark.parametrize(
    "body", INVISIBLE, ids=lambda body: body.encode("ascii", "backslashreplace").decode()
)
async def test_invisible_body_is_empty_and_nothing_is_stored(alice, bob, room, connect, body):
    sender = await connect(alice)
    listener = await connect(bob)
    error = await send_and_ack(sender, body, "inv-1")
    assert (error["type"], error["code"], error["client_id"]) == ("error", "empty", "inv-1")
    assert await database_sync_to_async(Message.objects.count)() == 0
    assert await listener.receive_nothing(timeout=0.3)


@pytest.mark.parametrize("body", ["a\u200bb", "\u202eabc", "\u200e\u05e9\u05dc\u05d5\u05dd"])
async def test_text_with_invisible_characters_inside_is_kept_as_sent(alice, room, connect, body):
    socket = await connect(alice)
    ack = await send_and_ack(socket, body, "vis-1")
    assert ack["type"] == "ack"
    stored = await database_sync_to_async(Message.objects.get)(pk=ack["id"])
    assert stored.body == body
