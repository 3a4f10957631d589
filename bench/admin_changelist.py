"""How fast the moderation admin opens on 1,000,000 messages.

Builds a scratch PostgreSQL database (parley_bench_admin, dropped and made again), fills it
with 1,000,000 messages in 100 rooms by 1,000 authors, then loads the admin pages a
moderator uses, through Django's test client, and prints each page's query count and
time (best and median of several loads) as a Markdown table for docs/admin-performance.md.

    .venv/bin/python bench/admin_changelist.py [--messages N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from scratch import drop_database, recreate_database, setup_django  # bench/

DATABASE = "parley_bench_admin"
ROOMS = 100
AUTHORS = 1000
LOADS = 7


def fill(messages: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    # As in production: DEBUG off, static files collected with their manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    per_room = messages // ROOMS
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)"
            " SELECT '', false, 'user' || g, '', '', 'user' || g || '@example.com', false, true,"
            " now() FROM generate_series(1, %s) g",
            [AUTHORS],
        )
        cursor.execute(
            "INSERT INTO chat_room (name, slug, created_at, last_activity_at, last_seq,"
            " message_count, is_locked, is_archived, history_expired_seq)"
            " SELECT 'Room ' || g, 'room-' || g, now(), now(), %s, %s, false, false, 0"
            " FROM generate_series(1, %s) g",
            [per_room, per_room, ROOMS],
        )
        cursor.execute(
            "INSERT INTO chat_message (room_id, seq, author_id, body, client_id, created_at)"
            " SELECT (SELECT min(id) FROM chat_room) + (g - 1) / %s, (g - 1) %% %s + 1,"
            "  (SELECT min(id) FROM accounts_user) + g %% %s,"
            "  'message number ' || g || ' about ' || md5(g::text), 'c' || g,"
            "  now() - make_interval(secs => %s - g)"
            " FROM generate_series(1, %s) g",
            [per_room, per_room, AUTHORS, messages, messages],
        )
        cursor.execute("VACUUM ANALYZE")


def moderator():
    from django.contrib.auth.models import Group

    from accounts.models import User

    user = User.objects.create_user("maude", "maude@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def measure(client, url: str) -> tuple[int, float, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    for _ in range(LOADS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, secure=True)  # over https, as DEBUG=0 requires
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    return queries, min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database to inspect")
    args = parser.parse_args()

    recreate_database(DATABASE)
    setup_django(DATABASE)
    started = time.perf_counter()
    fill(args.messages)
    print(f"filled {args.messages:,} messages in {time.perf_counter() - started:.1f} s\n")

    from django.test import Client

    client = Client()
    client.force_login(moderator())
    pages = [
        ("message list", "/admin/chat/message/"),
        ("message list, page 50", "/admin/chat/message/?p=50"),
        ("message list, one room", "/admin/chat/message/?room=50"),
        ("message list, hidden only", "/admin/chat/message/?hidden=yes"),
        ("message list, since a date", "/admin/chat/message/?created_at__gte=2026-11-16"),
        ("message search (body)", "/admin/chat/message/?q=number+777777"),
        ("room list (with counts)", "/admin/chat/room/"),
        ("one message", "/admin/chat/message/500000/change/"),
    ]
    print("| page | queries | best ms | median ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, url in pages:
        queries, best, median = measure(client, url)
        print(f"| {name} (`{url}`) | {queries} | {best:.1f} | {median:.1f} |")

    from django.db import connections

    connections.close_all()
    if args.keep:
        return
    drop_database(DATABASE)


if __name__ == "__main__":
    main()
