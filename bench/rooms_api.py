"""How fast GET /api/rooms/ answers for a person in 500 rooms.

Builds a scratch PostgreSQL database (parley_bench_rooms, dropped and made again): 500 rooms
of MESSAGES_PER_ROOM messages each by 50 other people, the person (alice) a member of every
one of them, one message in 20 mentioning her (a Mention row, as the save makes), one in
50 hidden by a moderator. Then it times the whole view through Django's test client
(session, the one query, JSON) and the query alone, several times each, with alice's read
positions set three ways:

- caught up: nothing unread anywhere;
- typical: 0-20 unread in each room;
- far behind: nothing read anywhere, every message of every room unread (the worst case:
  each count walks all of its room's rows).

and prints p50/p95 as a Markdown table for docs/rooms.md, with the query's plan.

    .venv/bin/python bench/rooms_api.py [--rooms N] [--messages N] [--keep] [--reuse]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from scratch import drop_database, recreate_database, setup_django  # bench/

DATABASE = "parley_bench_rooms"
OTHERS = 50
OTHER_ROOMS = 20_000
RUNS = 30

SCENARIOS = {
    "caught up": "UPDATE chat_roommembership m SET last_read_seq = r.last_seq"
    " FROM chat_room r WHERE r.id = m.room_id",
    "typical (0-20 unread a room)": "UPDATE chat_roommembership m"
    " SET last_read_seq = greatest(0, r.last_seq - (m.room_id * 7919) % 21)"
    " FROM chat_room r WHERE r.id = m.room_id",
    "far behind (all unread)": "UPDATE chat_roommembership SET last_read_seq = 0",
}


def fill(rooms: int, per_room: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User

    call_command("migrate", verbosity=0)
    User.objects.create_user("alice", "alice@example.com", "pw")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)"
            " SELECT '', false, 'user' || g, '', '', 'user' || g || '@example.com', false, true,"
            " now() FROM generate_series(1, %s) g",
            [OTHERS],
        )
        cursor.execute(
            "INSERT INTO chat_room (name, slug, created_at, last_activity_at, last_seq,"
            " message_count, is_locked, is_archived, history_expired_seq)"
            " SELECT 'Room ' || g, 'room-' || g, now(), now() - make_interval(mins => g),"
            " %s, %s, false, false, 0 FROM generate_series(1, %s) g",
            [per_room, per_room, rooms],
        )
        # Rooms alice is not in, quiet or busy, so that "her rooms" is a small part of the
        # table, as on a real site.
        cursor.execute(
            "INSERT INTO chat_room (name, slug, created_at, last_activity_at, last_seq,"
            " message_count, is_locked, is_archived, history_expired_seq)"
            " SELECT 'Elsewhere ' || g, 'elsewhere-' || g, now(), now() - make_interval(secs => g),"
            " 0, 0, false, false, 0 FROM generate_series(1, %s) g",
            [OTHER_ROOMS],
        )
        alice = "(SELECT id FROM accounts_user WHERE username = 'alice')"
        cursor.execute(
            "INSERT INTO chat_roommembership (room_id, user_id, joined_at, last_read_seq)"
            f" SELECT id, {alice}, now(), 0 FROM chat_room WHERE slug LIKE 'room-%%'"
        )
        # Authors are the others, round robin; one in 20 mentions alice, one in 50 hidden.
        cursor.execute(
            "INSERT INTO chat_message (room_id, seq, author_id, body, client_id, created_at,"
            " mentions, hidden_at)"
            " SELECT r.id, s, (SELECT min(id) FROM accounts_user WHERE username <> 'alice')"
            f"  + (r.id + s) %% {OTHERS},"
            "  CASE WHEN s %% 20 = 7 THEN '@alice look at this' ELSE 'message ' || s END,"
            "  'c' || s, now(),"
            f"  CASE WHEN s %% 20 = 7 THEN jsonb_build_array({alice}) ELSE '[]'::jsonb END,"
            "  CASE WHEN s %% 50 = 0 THEN now() END"
            " FROM chat_room r, generate_series(1, %s) s WHERE r.slug LIKE 'room-%%'",
            [per_room],
        )
        cursor.execute(
            "INSERT INTO chat_mention (message_id, user_id, room_id, seq)"
            f" SELECT id, {alice}, room_id, seq FROM chat_message WHERE seq % 20 = 7"
        )
        cursor.execute("VACUUM ANALYZE")


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def run() -> list[tuple[str, float, float, float, float, int, int]]:
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from chat import membership

    alice = User.objects.get(username="alice")
    client = Client()
    client.force_login(alice)
    rows = []
    for name, statement in SCENARIOS.items():
        with connection.cursor() as cursor:
            cursor.execute(statement)
            cursor.execute("VACUUM ANALYZE chat_roommembership")

        def view() -> None:
            response = client.get("/api/rooms/", secure=True)  # DEBUG=0 redirects http
            assert response.status_code == 200, response.status_code

        def query() -> None:
            membership.my_rooms_payload(alice)

        for _ in range(3):  # warm the caches and the connection
            view()
        views = [timed(view) for _ in range(RUNS)]
        queries = [timed(query) for _ in range(RUNS)]
        payload = membership.my_rooms_payload(alice)["rooms"]
        unread = sum(entry["unread"] for entry in payload)
        mentions = sum(entry["mentions"] for entry in payload)
        rows.append((name, *percentiles(views), *percentiles(queries), unread, mentions))
    return rows


def plan(scenario: str) -> str:
    from django.db import connection

    from accounts.models import User
    from chat import membership

    with connection.cursor() as cursor:
        cursor.execute(SCENARIOS[scenario])
    sql, params = membership.rooms_of(User.objects.get(username="alice")).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--messages", type=int, default=200, help="messages per room")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database as it is")
    options = parser.parse_args()
    if not options.reuse:
        recreate_database(DATABASE)
    setup_django(DATABASE)
    if not options.reuse:
        started = time.perf_counter()
        fill(options.rooms, options.messages)
        print(f"Filled in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    from django.db import connection

    rows = run()
    print(
        f"\n{options.rooms} rooms of {options.messages} messages, alice a member of all; "
        f"PostgreSQL {connection.pg_version // 10000}; {RUNS} runs each.\n"
    )
    print("| read positions | view p50 | view p95 | query p50 | query p95 | unread | mentions |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, view50, view95, query50, query95, unread, mentions in rows:
        print(
            f"| {name} | {view50:.1f} ms | {view95:.1f} ms | {query50:.1f} ms "
            f"| {query95:.1f} ms | {unread} | {mentions} |"
        )
    for scenario in ("caught up", "far behind (all unread)"):
        print(f"\nPlan ({scenario}):\n")
        print(plan(scenario))
    connection.close()
    if not options.keep:
        drop_database(DATABASE)


if __name__ == "__main__":
    main()
