"""Two prune runs at once split the work: each row is deleted once, neither run errors, and
neither waits on rows another transaction holds."""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from chat.models import Message
from chat.retention import BatchDone, PruneResult, prune_messages
from tests.retention_support import add_messages, add_old_messages

pytestmark = pytest.mark.django_db(transaction=True)

NOW = timezone.now()
OLD = timedelta(days=100)


@pytest.fixture(autouse=True)
def ninety_days(settings) -> None:
    settings.CHAT_RETENTION_DAYS = 90


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run `target` on its own thread, hence its own database connection."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = target()
        except BaseException as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_two_runs_at_once_delete_each_row_once_without_error(alice, room):
    add_old_messages(room, alice, NOW, 40, OLD)
    add_messages(room, alice, NOW, timedelta(days=1))
    # Each run waits after its first committed batch until the other has committed one too,
    # so the two are certainly deleting from the same room at the same time.
    both_started = threading.Barrier(2, timeout=20)
    first_batch_seen: set[int] = set()

    def meet_once(done: BatchDone) -> None:
        if threading.get_ident() not in first_batch_seen:
            first_batch_seen.add(threading.get_ident())
            both_started.wait()

    def run() -> PruneResult:
        return prune_messages(batch_size=2, now=NOW, on_batch=meet_once)

    runs = [in_thread(run) for _ in range(2)]
    for thread, _ in runs:
        thread.join(60)
    outcomes = [outcome for _, outcome in runs]
    assert [outcome.get("error") for outcome in outcomes] == [None, None]
    results: list[PruneResult] = [outcome["result"] for outcome in outcomes]
    assert all(result.total > 0 for result in results)
    assert sum(result.total for result in results) == 40
    assert list(Message.objects.values_list("seq", flat=True)) == [41]
    room.refresh_from_db()
    assert room.history_expired_seq == 40
    assert room.message_count == 1


def test_a_run_skips_rows_another_transaction_holds_instead_of_waiting(alice, room):
    add_old_messages(room, alice, NOW, 10, OLD)
    with transaction.atomic():
        # Another run's open batch (or a moderator editing them) holds the oldest four.
        held = list(
            Message.objects.filter(seq__lte=4).select_for_update().values_list("seq", flat=True)
        )
        assert held == [1, 2, 3, 4]
        thread, outcome = in_thread(lambda: prune_messages(batch_size=3, now=NOW))
        thread.join(20)
        assert not thread.is_alive(), "the run waited on locked rows"
        assert outcome["result"].deleted == {"general": 6}
    # Once they are free, the next run takes them.
    assert prune_messages(batch_size=3, now=NOW).deleted == {"general": 4}
    assert not Message.objects.exists()
