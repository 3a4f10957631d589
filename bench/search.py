"""How fast search answers on a room of 1,000,000 messages.

Builds a scratch PostgreSQL database (parley_bench_search_1m, dropped and made again), fills
one room with 1,000,000 messages (and a second room with 100,000, interleaved with the
first, so the room filter has something to filter) whose words follow a Zipf-like law, as
chat does: a few words in most messages, most words in few. Then it runs searches of every
kind through GET /api/search/ (Django's test client, the whole view: validation, the query,
highlights, JSON), each several times, first pages and the pages after them, and prints
p50/p95 per kind and over all as a Markdown table for docs/search.md.

    .venv/bin/python bench/search.py [--messages N] [--keep] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from scratch import drop_database, recreate_database, setup_django  # bench/

DATABASE = "parley_bench_search_1m"
AUTHORS = 200
RUNS = 10

# The head of the vocabulary, most frequent first; a long tail of made-up words follows.
COMMON = (
    "the i you to a and it is that of in we for this on be have not with but can just so "
    "what do are was at if it's my me all like get will no your yes know think they one "
    "about now there out up time good ok how see then would some going when more here "
    "today make work need want go back also people still thanks meeting deploy release "
    "build test server database error fix bug issue review merge branch code deploying "
    "deployed tomorrow lunch coffee weekend morning afternoon night team project plan "
    "design customer report numbers quarterly budget launch update status ticket query "
    "index search page room message chat link document slide call email question answer"
)
SYLLABLES = "ka lo mi ne ru ta vi so pe du ri mo za fe li bu na te go xi"
TAIL = 6000


def vocabulary() -> list[str]:
    words = COMMON.split()
    syllables = SYLLABLES.split()
    n = len(syllables)
    for i in range(TAIL):
        words.append(syllables[i % n] + syllables[(i // n) % n] + syllables[(i // n // n) % n])
    return words


# What people type, by kind: (kind, query). How many messages of the room each matches is
# counted and printed with the timings.
QUERIES = [
    ("common word", "meeting"),
    ("common word", "deploy"),
    ("common word", "people"),
    ("rare word", "kaloru"),
    ("rare word", "ziduxi"),
    ("rare word", "tefego"),
    ("no match", "xylophone"),
    ("two words", "deploy server"),
    ("two words", "quarterly numbers"),
    ("two words", "kalomi meeting"),
    ("phrase", '"database error"'),
    ("phrase", '"coffee tomorrow"'),
    ("or", "lunch or coffee"),
    ("or", "kaloru or ziduxi"),
    ("minus", "deploy -friday"),
    ("minus", "release -tomorrow"),
    ("only minus", "-meeting"),
]


def fill(messages: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    words = vocabulary()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)"
            " SELECT '', false, 'user' || g, '', '', 'user' || g || '@example.com', false, true,"
            " now() FROM generate_series(1, %s) g",
            [AUTHORS],
        )
        second = messages // 10
        total = messages + second
        cursor.execute(
            "INSERT INTO chat_room (name, slug, created_at, last_activity_at, last_seq,"
            " message_count, is_locked, is_archived, history_expired_seq) VALUES"
            " ('Big', 'big', now(), now(), %s, %s, false, false, 0),"
            " ('Other', 'other', now(), now(), %s, %s, false, false, 0)",
            [messages, messages, second, second],
        )
        # As a migration on a full table does it: rows first, then the index in one build.
        cursor.execute("DROP INDEX chat_message_search")
        # 4-14 words a message; word i drawn with probability falling as a power law.
        # (The `k` inside keeps the aggregate in the subquery, run once per row.) The two
        # rooms' messages interleave, as rooms' do: every eleventh is the other room's.
        cursor.execute(
            "INSERT INTO chat_message (room_id, seq, author_id, body, client_id, created_at)"
            " SELECT CASE WHEN g %% 11 = 0 THEN r.other ELSE r.big END,"
            "  CASE WHEN g %% 11 = 0 THEN g / 11 ELSE g - g / 11 END,"
            "  (SELECT min(id) FROM accounts_user) + g %% %s,"
            "  (SELECT string_agg("
            "   w[1 + floor(power(random(), 4) * cardinality(w))::int + 0 * k], ' ')"
            "   FROM generate_series(1, 4 + (g::bigint * 7919) %% 11) k),"
            "  'c' || g, now() - make_interval(secs => %s - g)"
            " FROM generate_series(1, %s) g, (SELECT %s::text[] AS w) v,"
            " (SELECT (SELECT id FROM chat_room WHERE slug = 'big') AS big,"
            "  (SELECT id FROM chat_room WHERE slug = 'other') AS other) r",
            [AUTHORS, total, total, words],
        )
        cursor.execute("CREATE INDEX chat_message_search ON chat_message USING gin (search_vector)")
        cursor.execute("VACUUM ANALYZE")


def searcher():
    from accounts.models import User

    return User.objects.create_user("alice", "alice@example.com", "pw")


def timed(client, params: dict[str, str]) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.get("/api/search/", params, secure=True)  # DEBUG=0 redirects http
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (params, response.status_code, response.content)
    return elapsed, response.json()


def matches(query: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM chat_message WHERE room_id = (SELECT id FROM chat_room"
            " WHERE slug = 'big') AND search_vector @@ websearch_to_tsquery('english', %s)",
            [query],
        )
        return cursor.fetchone()[0]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database to inspect")
    parser.add_argument("--reuse", action="store_true", help="search a kept database again")
    args = parser.parse_args()

    load = os.getloadavg()
    if not args.reuse:
        recreate_database(DATABASE)
    setup_django(DATABASE)
    started = time.perf_counter()
    if not args.reuse:
        fill(args.messages)
    print(
        f"filled {args.messages:,} + {args.messages // 10:,} messages in "
        f"{time.perf_counter() - started:.0f} s; load average before: "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores\n"
    )

    from django.test import Client

    client = Client()
    from accounts.models import User

    client.force_login(User.objects.filter(username="alice").first() or searcher())
    by_kind: dict[str, list[float]] = {}
    rows = []
    for kind, query in QUERIES:
        params = {"q": query, "room": "big"}
        timed(client, params)  # warm: the first run reads the index from disk
        times: list[float] = []
        for _ in range(RUNS):
            elapsed, answer = timed(client, params)
            times.append(elapsed)
        found = len(answer["results"])
        if answer["next"]:
            # The page after, as someone scrolling the results asks for it.
            for _ in range(RUNS):
                elapsed, _answer = timed(client, {**params, "cursor": answer["next"]})
                times.append(elapsed)
        by_kind.setdefault(kind, []).extend(times)
        more = "+" if answer["next"] else ""
        rows.append(
            f"| {kind} | `{query}` | {matches(query):,} | {found}{more} | "
            f"{statistics.median(times):.1f} | "
            f"{percentile(times, 0.95):.1f} |"
        )
    print("| kind | query | matches in the room | results (page 1) | p50 ms | p95 ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    print("\n| kind | searches | p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: |")
    everything: list[float] = []
    for kind, times in by_kind.items():
        everything += times
        print(
            f"| {kind} | {len(times)} | {statistics.median(times):.1f} | "
            f"{percentile(times, 0.95):.1f} |"
        )
    print(
        f"| **all** | {len(everything)} | {statistics.median(everything):.1f} | "
        f"{percentile(everything, 0.95):.1f} |"
    )
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    from django.db import connections

    connections.close_all()
    if args.keep:
        return
    drop_database(DATABASE)


if __name__ == "__main__":
    main()
