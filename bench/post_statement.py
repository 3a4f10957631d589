"""PostgreSQL's CPU per saved message: chat/posting.py's batch statement, run in a loop.

Builds a scratch database (parley_bench_post, dropped and made again), then commits batches
of sends into one room the way the sockets' group commit does (one statement, autocommit,
prepared), and reads the backend's own CPU time from /proc after every block of batches. So
the figures are PostgreSQL's work per message, apart from Python, the network and whatever
else the machine runs, and they show whether that work grows as the room gets busier.

    .venv/bin/python bench/post_statement.py [--batches 1,4,16] [--blocks 8]

`--analyze` runs ANALYZE after the first block, as autovacuum does on a live database; without
it the table is never analysed, as in a database a minute old. `--no-room-index` drops the
index on the room's last_activity_at, so that the room's update is HOT. Both are for the A/Bs
of docs/performance.md ("What each lever bought", session 3).
"""

from __future__ import annotations

import argparse
import os
import uuid
from pathlib import Path

import psycopg
from scratch import POSTGRES, recreate_database, setup_django  # bench/

DATABASE = "parley_bench_post"
AUTHORS = 8
MESSAGES_PER_BLOCK = 2000
BODY = "hello there, this is a message of ordinary length with a few words in it"


def backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,4,16", help="sends per statement")
    parser.add_argument("--blocks", type=int, default=8, help=f"of {MESSAGES_PER_BLOCK} messages")
    parser.add_argument("--no-room-index", action="store_true")
    parser.add_argument(
        "--analyze", action="store_true", help="ANALYZE after the first block, as autovacuum would"
    )
    args = parser.parse_args()

    recreate_database(DATABASE)
    setup_django(DATABASE)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from chat import posting
    from chat.models import Room

    call_command("migrate", verbosity=0)
    authors = [get_user_model().objects.create(username=f"author{n}") for n in range(AUTHORS)]
    with psycopg.connect(f"{POSTGRES}/{DATABASE}", autocommit=True) as conn:
        if args.no_room_index:
            conn.execute("DROP INDEX chat_room_last_activity_at_235ee9c2")
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        print("| sends per statement | messages in the room | PostgreSQL CPU ms per message |")
        print("|---:|---:|---:|")
        for batch in [int(size) for size in args.batches.split(",")]:
            room = Room.objects.create(name=f"batch {batch}", slug=f"batch-{batch}")
            for block in range(args.blocks):
                started = backend_cpu_seconds(pid)
                for _ in range(MESSAGES_PER_BLOCK // batch):
                    drafts = [
                        posting.Draft(authors[n % AUTHORS].pk, uuid.uuid4().hex, BODY)
                        for n in range(batch)
                    ]
                    params = posting._params(room.pk, drafts)
                    conn.execute(posting.post_sql(), params, prepare=True).fetchall()
                spent = backend_cpu_seconds(pid) - started
                if block == 0 and args.analyze:
                    conn.execute("ANALYZE")
                held = (block + 1) * MESSAGES_PER_BLOCK
                print(f"| {batch} | {held:,} | {1000 * spent / MESSAGES_PER_BLOCK:.3f} |")


if __name__ == "__main__":
    main()
