"""`manage.py prune_messages [--dry-run] [--room SLUG]`: the same service as the task, with a
summary, and a progress line only on a terminal."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from chat.models import Message, Room
from tests.retention_support import add_old_messages

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def old_rooms(settings, alice, room) -> None:
    settings.CHAT_RETENTION_DAYS = 90
    settings.CHAT_PRUNE_BATCH_SIZE = 2
    now = timezone.now()
    add_old_messages(room, alice, now, 5, timedelta(days=100))
    other = Room.objects.create(name="Random", slug="random", created_by=alice)
    add_old_messages(other, alice, now, 3, timedelta(days=100))


def prune(*args: str, stdout: io.StringIO | None = None) -> str:
    stdout = stdout or io.StringIO()
    call_command("prune_messages", *args, stdout=stdout)
    return stdout.getvalue()


def test_the_command_deletes_and_summarises_per_room(old_rooms):
    output = prune()
    lines = output.splitlines()
    assert lines[:2] == ["general: 5", "random: 3"]
    assert lines[2].startswith("Deleted 8 messages from 2 rooms in 5 batches")
    assert "\r" not in output
    assert not Message.objects.exists()


def test_dry_run_says_what_would_go_and_keeps_it(old_rooms):
    output = prune("--dry-run")
    assert output.splitlines() == [
        "general: 5",
        "random: 3",
        "Would delete 8 messages from 2 rooms.",
    ]
    assert Message.objects.count() == 8


def test_room_option_prunes_only_that_room(old_rooms):
    assert prune("--room", "random").splitlines()[0] == "random: 3"
    assert list(Message.objects.values_list("room__slug", flat=True).distinct()) == ["general"]


def test_an_unknown_room_is_a_command_error(old_rooms):
    with pytest.raises(CommandError, match="No room with the slug 'nope'"):
        prune("--room", "nope")


def test_a_terminal_sees_a_progress_line_per_batch(old_rooms):
    output = prune(stdout=Terminal())
    assert output.count("\r\033[K") == 6  # five batches, then clearing the line
    assert "\r\033[Kgeneral: 4 deleted (4 in all)" in output
    assert "\r\033[Krandom: 3 deleted (8 in all)" in output
    # The summary starts on a cleared line.
    assert "\r\033[Kgeneral: 5\nrandom: 3\nDeleted 8 messages" in output
