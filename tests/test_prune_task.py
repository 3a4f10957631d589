"""The prune task: scheduled by Celery beat at CHAT_PRUNE_INTERVAL_SECONDS, redelivered if its
worker dies, and run for real by a Celery worker taking it from Redis."""

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_success
from django.utils import timezone
from kombu import Exchange, Queue

from chat.tasks import prune_messages
from project.celery import app as celery_app
from tests.retention_support import add_messages, add_old_messages

ROOT = Path(__file__).resolve().parent.parent


def schedule_in_subprocess(env: dict[str, str]) -> str:
    """The beat entry, and whether a worker would register its task, in a fresh process."""
    code = (
        # As a fresh start would see it, minus any developer's .env.
        "import project.env as e; e.load_dotenv = lambda path: None\n"
        "import django; django.setup()\n"
        "from project.celery import app\n"
        "app.loader.import_default_modules()\n"
        "entry = app.conf.beat_schedule['prune-messages']\n"
        "print(entry['task'], entry['schedule'], entry['task'] in app.tasks)"
    )
    clean = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PARLEY_VAR_DIR": "/tmp/parley-settings-test",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_beat_runs_the_prune_task_hourly_by_default():
    assert schedule_in_subprocess({}) == "chat.tasks.prune_messages 3600.0 True"


def test_beat_runs_the_prune_task_at_the_configured_interval():
    assert (
        schedule_in_subprocess({"CHAT_PRUNE_INTERVAL_SECONDS": "120"})
        == "chat.tasks.prune_messages 120.0 True"
    )


def test_the_task_is_acked_only_after_it_ran_and_requeued_if_its_worker_dies():
    assert prune_messages.acks_late is True
    assert prune_messages.reject_on_worker_lost is True


@pytest.fixture
def private_queue() -> Iterator[str]:
    """A queue of this test's own, so that no other worker on the same Redis takes its task;
    deleted afterwards with its bindings."""
    name = f"parley-test-prune-{uuid.uuid4().hex}"
    yield name
    with celery_app.connection() as broker:
        # As Celery declares a queue it creates on demand; declaring it on this channel
        # first lets the delete find and remove its binding keys.
        queue = Queue(name, Exchange(name), routing_key=name)(broker.default_channel)
        queue.declare()
        queue.delete()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_takes_the_task_from_redis_and_prunes(settings, alice, room, private_queue):
    settings.CHAT_RETENTION_DAYS = 90
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    now = timezone.now()
    add_old_messages(room, alice, now, 5, timedelta(days=100))
    add_messages(room, alice, now, timedelta(days=1))

    finished = threading.Event()
    results: list[Any] = []

    def record(sender: Any, result: Any, **kwargs: Any) -> None:
        if sender.name == "chat.tasks.prune_messages":
            results.append(result)
            finished.set()

    task_success.connect(record, weak=False)
    try:
        with start_worker(celery_app, perform_ping_check=False, queues=[private_queue]):
            prune_messages.apply_async(queue=private_queue)
            assert finished.wait(30), "the worker never ran the task"
    finally:
        task_success.disconnect(record)

    assert results == [{"general": 5}]
    assert list(room.messages.values_list("seq", flat=True)) == [6]
