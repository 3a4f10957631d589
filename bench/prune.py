"""Benchmark: retention prunes 1,000,000 expired messages out of 2,000,000 while a chat keeps
posting, and the chat's send latency is compared with the same chat when nothing is pruned.

    .venv/bin/python bench/prune.py [--rows 2000000] [--rooms 10] [--rate 20] ...

It creates its own database, parley_bench, on the PostgreSQL server at BENCH_POSTGRES
(default postgres://postgres@127.0.0.1:5432), migrates it, and drops it at the end; nothing
else is touched. See docs/retention.md for what it measures and the results.

How: every room gets `rows / rooms` messages, the older half created 120 to 91 days ago and
the newer half in the last 30 days, with seq and created_at growing together as posting
makes them; retention is 90 days. The chat is a separate process (so it shares no GIL with
the prune) calling chat.services.post_message at a steady `rate` per second, round-robin
over the same rooms. Each send's latency is measured from the moment it was due, so a send
held up also counts against the sends queued behind it.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Generic, TypeVar

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DATABASE = "parley_bench"
RETENTION_DAYS = 90
T = TypeVar("T")


def configure() -> None:
    """Django settings for the bench, before django.setup(), in the parent and the chat."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DATABASE_URL=f"{SERVER}/{DATABASE}",
        # DEBUG off: with it on, Django keeps every query in memory and slows down.
        DEBUG="0",
        CHAT_RETENTION_DAYS=str(RETENTION_DAYS),
    )
    os.environ.setdefault("SECRET_KEY", "parley-bench-only")
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="messages in all; half expire")
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--rate", type=float, default=20.0, help="chat sends per second")
    parser.add_argument("--baseline-seconds", type=float, default=30.0)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()

    print(machine(), flush=True)
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    try:
        configure()
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        run(options)
        connection.close_pool()
    finally:
        if options.keep:
            print(f"Kept the database {DATABASE}.")
        else:
            with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def run(options: argparse.Namespace) -> None:
    from chat import retention

    room_ids, author_id = build(options.rows, options.rooms)
    print_batch_plan(room_ids[0])

    print(f"\nChat alone: {options.rate:g} sends/s for {options.baseline_seconds:g} s ...")
    alone = chat_while(
        room_ids, author_id, options.rate, lambda: time.sleep(options.baseline_seconds)
    )

    print("Chat while pruning ...", flush=True)
    batch_seconds: list[float] = []

    def prune() -> retention.PruneResult:
        return retention.prune_messages(
            batch_size=options.batch_size, on_batch=lambda done: batch_seconds.append(done.seconds)
        )

    pruning = chat_while(room_ids, author_id, options.rate, prune)
    result = pruning.outcome
    check(room_ids, options.rows)

    seconds = pruning.finished - pruning.started
    print(
        "\n## Results\n"
        f"- pruned: {result.total:,} rows in {seconds:.1f} s = {result.total / seconds:,.0f} "
        f"rows/s, {result.batches} batches of {options.batch_size}\n"
        f"- batch transaction: median {percentile(batch_seconds, 50) * 1000:.0f} ms, "
        f"p99 {percentile(batch_seconds, 99) * 1000:.0f} ms, "
        f"longest {result.longest_batch_seconds * 1000:.0f} ms\n"
        f"- chat sends at {options.rate:g}/s, ms:  p50    p99    max  sends\n"
        f"  - latency, no prune running     {summary(alone.latencies())}\n"
        f"  - latency, prune running        {summary(pruning.latencies())}\n"
        f"  - service time, no prune        {summary(alone.service_times())}\n"
        f"  - service time, prune running   {summary(pruning.service_times())}\n"
        f"- load average at the end: {load_average()}"
    )


def machine() -> str:
    with psycopg.connect(f"{SERVER}/postgres") as admin:
        version, shared_buffers = admin.execute(
            "SELECT version(), current_setting('shared_buffers')"
        ).fetchone()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        "## Machine\n"
        f"- {cpu}, {os.cpu_count()} CPUs, {memory_kb / 1024 / 1024:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}\n"
        f"- {version.split(' on ')[0]} (shared_buffers {shared_buffers}), same host\n"
        f"- Python {platform.python_version()}, Django and psycopg as pinned in requirements.txt\n"
        f"- load average at the start: {load_average()}"
    )


def load_average() -> str:
    """Other work on the host skews latencies; the report says how busy it was."""
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def build(rows: int, rooms: int) -> tuple[list[int], int]:
    """Rooms of `rows / rooms` messages each, the older half expired; returns room ids and
    the author's id."""
    from django.db import DatabaseError, connection

    from accounts.models import User
    from chat.models import Message, Room

    per_room = rows // rooms
    expired = per_room // 2
    author = User.objects.create_user("bench", "bench@example.com", "bench-pw-1")
    room_ids = [
        Room.objects.create(
            name=f"Bench {n}", slug=f"bench-{n}", last_seq=per_room, message_count=per_room
        ).pk
        for n in range(rooms)
    ]
    started = time.monotonic()
    with connection.cursor() as cursor:
        for room_id in room_ids:
            # Expired seqs 1..expired spread over 120 to 91 days ago; the rest over the
            # last 30 days: seq and created_at grow together, as post_message makes them.
            cursor.execute(
                f"""
                INSERT INTO {Message._meta.db_table}
                    (room_id, seq, author_id, body, client_id, created_at)
                SELECT %(room)s, s, %(author)s,
                       'bench message ' || s || ', about as long as a line of chat',
                       'b' || s,
                       CASE WHEN s <= %(expired)s
                         THEN now() - interval '120 days'
                              + (s::float / %(expired)s) * interval '29 days'
                         ELSE now() - interval '30 days'
                              + ((s - %(expired)s)::float / %(expired)s) * interval '29 days'
                       END
                FROM generate_series(1, %(per_room)s) AS s
                """,
                {"room": room_id, "author": author.pk, "expired": expired, "per_room": per_room},
            )
        # As an old table would be: statistics current, visibility map set.
        cursor.execute(f"VACUUM ANALYZE {Message._meta.db_table}")
        # Write the load out now, so its checkpoint does not land in a measured window.
        try:
            cursor.execute("CHECKPOINT")
        except DatabaseError as error:
            print(f"(No CHECKPOINT: {error}; the first measurement may include one.)")
    print(
        f"\nBuilt {per_room * rooms:,} messages in {rooms} rooms ({expired * rooms:,} expired) "
        f"in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    return room_ids, author.pk


def print_batch_plan(room_id: int) -> None:
    """The query plan of one batch, to show it walks the (room, seq) index."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from chat.models import Room
    from chat.retention import _expired

    room = Room.objects.get(pk=room_id)
    cutoff = timezone.now() - timedelta(days=RETENTION_DAYS)
    batch = _expired(room, cutoff).order_by("seq").select_for_update(skip_locked=True)
    with transaction.atomic():
        plan = batch.values_list("pk", "seq")[:5000].explain()
    print("\nPlan of one batch's SELECT:\n    " + plan.replace("\n", "\n    "))


@dataclass
class Measured(Generic[T]):
    """What `chat_while` saw: the work's outcome and when it ran, and every send."""

    outcome: T
    started: float
    finished: float
    sends: list[tuple[float, float, float]]  # when each was due, began, ended (monotonic s)

    def latencies(self) -> list[float]:
        """Latency of each send due while the work ran, from when it was due."""
        return [ended - due for due, _, ended in self._during()]

    def service_times(self) -> list[float]:
        """The same sends' own duration, from when each actually began."""
        return [ended - began for _, began, ended in self._during()]

    def _during(self) -> list[tuple[float, float, float]]:
        return [send for send in self.sends if self.started <= send[0] <= self.finished]


def chat_while(
    room_ids: list[int], author_id: int, rate: float, work: Callable[[], T]
) -> Measured[T]:
    """Start the chat process, do `work` here once it is sending steadily, then stop it."""
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    receiving, sending = context.Pipe(duplex=False)
    chat = context.Process(
        target=chat_process, args=(room_ids, author_id, rate, ready, stop, sending)
    )
    chat.start()
    if not ready.wait(60):
        raise RuntimeError("the chat process did not start")
    time.sleep(2)  # let it settle into its rhythm first
    started = time.monotonic()
    outcome = work()
    finished = time.monotonic()
    time.sleep(1)
    stop.set()
    sends = receiving.recv()
    chat.join(30)
    return Measured(outcome, started, finished, sends)


def chat_process(
    room_ids: list[int],
    author_id: int,
    rate: float,
    ready: Event,
    stop: Event,
    results: Connection,
) -> None:
    """Post at a steady rate until told to stop; send back (due, began, ended) per message."""
    configure()
    import django

    django.setup()
    from accounts.models import User
    from chat.models import Room
    from chat.services import post_message

    rooms = list(Room.objects.filter(pk__in=room_ids).order_by("pk"))
    author = User.objects.get(pk=author_id)
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    for n, room in enumerate(rooms):  # warm the connection pool and caches
        post_message(room, author, "warming up", f"w{tag}-{n}")
    ready.set()

    samples: list[tuple[float, float, float]] = []
    interval = 1 / rate
    due = time.monotonic()
    n = 0
    while not stop.is_set():
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        began = time.monotonic()
        post_message(rooms[n % len(rooms)], author, f"chat {n}", f"c{tag}-{n}")
        samples.append((due, began, time.monotonic()))
        n += 1
        due += interval
    results.send(samples)


def check(room_ids: list[int], rows: int) -> None:
    """Every expired message is gone and every other one is still there."""
    from chat.models import Message, Room

    per_room = rows // len(room_ids)
    expired = per_room // 2
    for room in Room.objects.filter(pk__in=room_ids):
        seqs = room.messages.filter(seq__lte=per_room)
        assert not seqs.filter(seq__lte=expired).exists(), f"{room.slug}: expired rows left"
        assert seqs.count() == per_room - expired, f"{room.slug}: live rows missing"
        assert room.history_expired_seq == expired, room.history_expired_seq
        assert room.message_count == room.messages.count(), f"{room.slug}: count drifted"
    print(f"Checked: all expired rows gone, all {Message.objects.count():,} others kept.")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(latencies: list[float]) -> str:
    ms = [latency * 1000 for latency in latencies]
    return (
        f"{percentile(ms, 50):5.1f}  {percentile(ms, 99):5.1f}  "
        f"{max(ms, default=float('nan')):5.1f}  {len(ms):6d}"
    )


if __name__ == "__main__":
    main()
