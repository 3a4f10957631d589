"""How fast the pages people open answer: the room page, history pages, the admin, the index.

Issue 9 reworked the socket path and promised that nothing else got slower. This measures
the HTTP side, so that two checkouts can be compared in one sitting (docs/performance.md,
"Nothing else got slower").

Builds a scratch PostgreSQL database (`--database`, default BENCH_DATABASE_PREFIX + "_pages",
dropped and made again) seeded like a room in service: "General" with 20,000 messages by
six authors, interleaved with five other rooms' 2,000 each, one in 200 hidden by a
moderator, one muted person; alice a member of General with 40 unread (where the schema has
memberships, and one in 50 messages mentioning her where it has mentions); then VACUUM
ANALYZE, as autovacuum would have run. Then it loads each page through Django's test client
in this process (DEBUG=0, static files collected), signed in with force_login: alice for
the site, maude (staff, in the Moderators group) for the admin. The cases take turns, one
load each per turn, so the machine's drift touches them all alike; it prints p50/p90 of the
wall time per case, the mean CPU per load (this process's and its PostgreSQL backends', which
other work on a shared machine disturbs less than the wall time) and the queries per load
(CaptureQueriesContext).

    .venv/bin/python bench/pages.py [--runs N] [--database NAME] [--json PATH] [--keep]

It runs unchanged on 026d7b3 (before issue 9), where the schema has no memberships or
mentions. The A/B against it, in one sitting:

    git worktree add ../wt-old 026d7b3
    (cd ../wt-old && python3.11 -m venv .venv \\
        && .venv/bin/pip install -r requirements.txt -r requirements-dev.txt)
    .venv/bin/python bench/pages.py --ab ../wt-old --rounds 3

`--ab` copies this file (and bench/scratch.py, where the other checkout has none) into the
other checkout's bench/, starts both checkouts side by side, each in its own process on its
own database (BENCH_DATABASE_PREFIX + "_pages_before" and "_now"), and has them take turns
(before, now, now, before, ...), so that both see the same machine; `--rounds` times over,
from new databases and processes. It prints each case's median over the rounds for both and
the now/before ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from scratch import drop_database, recreate_database, setup_django  # bench/

HERE = Path(__file__).resolve()
PREFIX = os.environ.get("BENCH_DATABASE_PREFIX", "parley_bench")
# Names other runs on this PostgreSQL own: the load bench's and the test suite's.
FORBIDDEN = ("parley_bench_load", "test_parley")

MESSAGES = 20_000  # in General
OTHER_ROOMS = 5
OTHER_MESSAGES = 2_000  # in each other room
AUTHORS = 6
UNREAD = 40
WARMUP = 5


def fill(messages: int) -> dict[str, int]:
    """The site's rows, through columns that both schemas have; memberships and mentions
    only where the schema has them. Returns what the cases need to know."""
    from django.apps import apps
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User

    call_command("migrate", verbosity=0)
    # As in production: DEBUG off, static files collected with their manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    alice = User.objects.create_user("alice", "alice@example.com", "pw")
    maude = User.objects.create_user("maude", "maude@example.com", "pw", is_staff=True)
    maude.groups.add(Group.objects.get(name="Moderators"))
    others = OTHER_ROOMS * OTHER_MESSAGES
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)"
            " SELECT '', false, 'author' || g, '', '', 'author' || g || '@example.com',"
            " false, true, now() FROM generate_series(1, %s) g",
            [AUTHORS],
        )
        cursor.execute(
            "INSERT INTO chat_room (name, slug, created_at, last_activity_at, last_seq,"
            " message_count, is_locked, is_archived, history_expired_seq) VALUES"
            " ('General', 'general', now() - interval '30 days', now(), %s, %s,"
            "  false, false, 0)",
            [messages, messages],
        )
        cursor.execute(
            "INSERT INTO chat_room (name, slug, created_at, last_activity_at, last_seq,"
            " message_count, is_locked, is_archived, history_expired_seq)"
            " SELECT 'Room ' || g, 'room-' || g, now() - interval '30 days',"
            " now() - make_interval(mins => g), %s, %s, false, false, 0"
            " FROM generate_series(1, %s) g",
            [OTHER_MESSAGES, OTHER_MESSAGES, OTHER_ROOMS],
        )
        # The rooms' messages interleave in the table, as rooms' do: General's are two in
        # three rows until the other rooms' run out. Authors take turns; bodies vary in
        # length; one in 200 is hidden by maude.
        cursor.execute(
            "INSERT INTO chat_message (room_id, seq, author_id, body, client_id, created_at,"
            " hidden_at, hidden_by_id)"
            " SELECT room_id, row_number() OVER (PARTITION BY room_id ORDER BY g),"
            "  (SELECT min(id) FROM accounts_user WHERE username LIKE 'author%%') + g %% %s,"
            "  'message ' || g || ' ' || repeat(md5(g::text) || ' ', 1 + g %% 5),"
            "  'c' || g, now() - make_interval(secs => %s - g),"
            "  CASE WHEN g %% 200 = 0 THEN now() END,"
            "  CASE WHEN g %% 200 = 0 THEN %s END"
            " FROM (SELECT g, CASE WHEN g %% 3 = 0 AND g / 3 <= %s"
            "   THEN (SELECT min(id) FROM chat_room WHERE slug LIKE 'room-%%') + g / 3 %% %s"
            "   ELSE (SELECT id FROM chat_room WHERE slug = 'general') END AS room_id"
            "  FROM generate_series(1, %s) g) s",
            [AUTHORS, messages + others, maude.pk, others, OTHER_ROOMS, messages + others],
        )
        cursor.execute(
            "INSERT INTO chat_roomban (room_id, user_id, kind, reason, created_at, created_by_id)"
            " SELECT (SELECT id FROM chat_room WHERE slug = 'general'), id, 'mute',"
            " 'flooding', now(), %s FROM accounts_user WHERE username = 'author1'",
            [maude.pk],
        )
        general = "(SELECT id FROM chat_room WHERE slug = 'general')"
        if "mentions" in {field.name for field in apps.get_model("chat", "Message")._meta.fields}:
            cursor.execute(
                "UPDATE chat_message SET body = '@alice ' || body,"
                f" mentions = jsonb_build_array(%s) WHERE room_id = {general} AND seq %% 50 = 7",
                [alice.pk],
            )
            cursor.execute(
                "INSERT INTO chat_mention (message_id, user_id, room_id, seq)"
                " SELECT id, %s, room_id, seq FROM chat_message"
                f" WHERE room_id = {general} AND seq %% 50 = 7",
                [alice.pk],
            )
        if apps.all_models["chat"].get("roommembership"):
            cursor.execute(
                "INSERT INTO chat_roommembership (room_id, user_id, joined_at, last_read_seq)"
                f" SELECT {general}, id, now() - interval '30 days', %s FROM accounts_user"
                " WHERE username = 'alice' OR username LIKE 'author%%'",
                [messages - UNREAD],
            )
        cursor.execute("VACUUM ANALYZE")
    return seeded()


def seeded() -> dict[str, int]:
    """General's id, its last seq and its newest message's id."""
    from chat.models import Message, Room

    room = Room.objects.get(slug="general")
    newest = Message.objects.filter(room=room).latest("id")
    return {"room": room.pk, "last_seq": room.last_seq, "message": newest.pk}


def cases(site: dict[str, int]) -> list[tuple[str, str, str]]:
    """(case, who, path). Paths from reverse() with names both checkouts have."""
    from django.urls import reverse

    room = reverse("chat:room", args=["general"])
    history = reverse("chat:messages_api", args=["general"])
    middle = site["last_seq"] // 2
    return [
        ("room page", "alice", room),
        ("history API, newest page", "alice", history),
        (f"history API, before_seq={middle}", "alice", f"{history}?before_seq={middle}"),
        ("index page", "alice", reverse("chat:index")),
        ("admin: message list", "maude", reverse("admin:chat_message_changelist")),
        (
            "admin: message list, one room",
            "maude",
            reverse("admin:chat_message_changelist") + f"?room={site['room']}",
        ),
        (
            "admin: one message",
            "maude",
            reverse("admin:chat_message_change", args=[site["message"]]),
        ),
        (
            "admin: room change page",
            "maude",
            reverse("admin:chat_room_change", args=[site["room"]]),
        ),
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cpu_seconds(backends: list[int]) -> float:
    """CPU time so far of this process and of the PostgreSQL backends serving it. A
    backend's comes from /proc in clock ticks (10 ms), so only a mean over many loads says
    something; unlike the wall time, it does not count waiting for a core that other work on
    the machine holds."""
    total = time.process_time()
    for pid in backends:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the pool closed it
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Pages:
    """The cases of one checkout, signed in and warmed up; `turn()` loads each page once."""

    def __init__(self, site: dict[str, int], show_queries: bool = False) -> None:
        from django.test import Client

        from accounts.models import User

        self.clients = {}
        for name in ("alice", "maude"):
            self.clients[name] = Client()
            self.clients[name].force_login(User.objects.get(username=name))
        self.table = cases(site)
        self.show_queries = show_queries
        self.shown: set[tuple[str, int]] = set()
        for _ in range(WARMUP):  # the first loads fill caches (content types, templates)
            for _name, who, path in self.table:
                self.load(who, path)

    def load(self, who: str, path: str) -> tuple[float, list[dict]]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = self.clients[who].get(path, secure=True)  # https, as DEBUG=0 requires
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (path, response.status_code)
        return elapsed, captured.captured_queries

    def turn(self) -> dict[str, tuple[float, float, int]]:
        """Each case once: {case: (wall ms, CPU ms, queries)}. Taking turns, a slow spell of
        the machine lands on every case alike."""
        pids = backends()
        loads = {}
        for name, who, path in self.table:
            before = cpu_seconds(pids)
            elapsed, captured = self.load(who, path)
            loads[name] = (elapsed, (cpu_seconds(pids) - before) * 1000, len(captured))
            if self.show_queries and (name, len(captured)) not in self.shown:
                self.shown.add((name, len(captured)))
                print(f"\n{name} ({path}): {len(captured)} queries", file=sys.stderr)
                for query in captured:
                    print(f"  {query['sql'][:200]}", file=sys.stderr)
        return loads


def backends() -> list[int]:
    """The backends of Django's connection pool (nothing else uses the scratch database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [pid for (pid,) in cursor.fetchall()]


def summary(turns: list[dict[str, tuple[float, float, int]]]) -> list[dict]:
    """Per case: p50 and p90 of the wall time, mean CPU, the query counts seen."""
    rows = []
    for name in turns[0]:
        walls = [turn[name][0] for turn in turns]
        rows.append(
            {
                "case": name,
                "p50": statistics.median(walls),
                "p90": percentile(walls, 0.9),
                "cpu": statistics.fmean(turn[name][1] for turn in turns),
                "queries": sorted({turn[name][2] for turn in turns}),
            }
        )
    return rows


def commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=HERE.parent, capture_output=True, text=True
    ).stdout.strip()


def prepare(args: argparse.Namespace) -> dict[str, int]:
    """The scratch database filled (or, with --reuse, as kept), and Django set up on it."""
    if args.database.startswith(FORBIDDEN):
        sys.exit(f"{args.database}: names starting with {' or '.join(FORBIDDEN)} are others'")
    if not args.reuse:
        recreate_database(args.database)
    setup_django(args.database)
    if args.reuse:
        return seeded()
    started = time.perf_counter()
    site = fill(args.messages)
    print(f"filled in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return site


def finish(args: argparse.Namespace) -> None:
    from django.db import connections

    connections.close_all()
    if not args.keep:
        drop_database(args.database)


def run(args: argparse.Namespace) -> None:
    load_before = os.getloadavg()
    pages = Pages(prepare(args), args.show_queries)
    started = datetime.now(UTC)
    rows = summary([pages.turn() for _ in range(args.runs)])
    load_after = os.getloadavg()
    finish(args)
    report = {
        "commit": commit(),
        "started": started.isoformat(timespec="seconds"),
        "load": [round(load_before[0], 2), round(load_after[0], 2)],
        "cases": rows,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    print(
        f"\n{report['commit']} at {report['started']}, {args.runs} loads of each page, "
        f"load average {load_before[0]:.2f} before and {load_after[0]:.2f} after "
        f"on {os.cpu_count()} cores\n"
    )
    print("| case | p50 ms | p90 ms | CPU ms (mean) | queries |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['case']} | {row['p50']:.1f} | {row['p90']:.1f} | {row['cpu']:.1f} "
            f"| {_queries(row['queries'])} |"
        )


def serve(args: argparse.Namespace) -> None:
    """For --ab: ready, then one turn per "turn" line on stdin, its loads as a JSON line."""
    answers = sys.stdout
    sys.stdout = sys.stderr  # only the answers on stdout
    pages = Pages(prepare(args))
    print(json.dumps({"commit": commit()}), file=answers, flush=True)
    for line in sys.stdin:
        if line.strip() != "turn":
            break
        print(json.dumps(pages.turn()), file=answers, flush=True)
    finish(args)


def _queries(counts: list[int]) -> str:
    """The queries per request: one number, or the range when they varied."""
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


class Side:
    """One checkout serving turns (`serve`) in a process of its own."""

    def __init__(self, python: Path, script: Path, database: str, messages: int) -> None:
        command = [str(python), str(script), "--serve", "--database", database]
        command += ["--messages", str(messages)]
        self.process = subprocess.Popen(
            command,
            cwd=script.parent.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.commit = self.answer()["commit"]
        self.turns: list[dict] = []

    def answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            sys.exit(f"{self.process.args[1]} stopped (exit {self.process.wait()})")
        return json.loads(line)

    def turn(self) -> None:
        self.process.stdin.write("turn\n")
        self.process.stdin.flush()
        self.turns.append(self.answer())

    def end(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def ab(args: argparse.Namespace) -> None:
    """Both checkouts at once, each in its own process on its own database, taking turns
    page by page (before, now, now, before, ...: which goes first alternates, so a drift of
    the machine's speed cancels out); `rounds` times from new databases and processes."""
    other = Path(args.ab).resolve()
    python = other / ".venv" / "bin" / "python"
    if not python.exists():
        sys.exit(f"{python} is missing: make the other checkout's venv first")
    shutil.copyfile(HERE, other / "bench" / "pages.py")
    if not (other / "bench" / "scratch.py").exists():
        shutil.copyfile(HERE.parent / "scratch.py", other / "bench" / "scratch.py")
    reports: dict[str, list[dict]] = {"before": [], "now": []}
    for round_ in range(args.rounds):
        load_before = os.getloadavg()[0]
        print(f"round {round_ + 1} of {args.rounds}: filling both databases", file=sys.stderr)
        sides = {
            "before": Side(
                python, other / "bench" / "pages.py", f"{args.database}_before", args.messages
            ),
            "now": Side(Path(sys.executable), HERE, f"{args.database}_now", args.messages),
        }
        started = datetime.now(UTC).isoformat(timespec="seconds")
        for turn in range(args.runs):
            order = ("before", "now") if turn % 2 == 0 else ("now", "before")
            for side in order:
                sides[side].turn()
        load_after = os.getloadavg()[0]
        for side, serving in sides.items():
            serving.end()
            reports[side].append(
                {
                    "commit": serving.commit,
                    "started": started,
                    "load": [round(load_before, 2), round(load_after, 2)],
                    "cases": summary(serving.turns),
                }
            )
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=2))
    table(reports, other, args)


def table(reports: dict[str, list[dict]], other: Path, args: argparse.Namespace) -> None:
    before, now = reports["before"], reports["now"]
    print(f"\nbefore: {before[0]['commit']} ({other}); now: {now[0]['commit']}")
    for report in now:
        print(f"  round at {report['started']}, load average {report['load']}")
    print(
        f"\nMedians of {args.rounds} rounds of {args.runs} loads of each page by each checkout,"
        " taking turns; the ratio is now/before of the medians, and per round. CPU: the"
        " Django process's and its PostgreSQL backends', per load.\n"
    )
    print(
        "| case | before p50 | now p50 | ratio | ratio per round | p90 before / now "
        "| CPU before / now | queries before / now |"
    )
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for index, row in enumerate(now[0]["cases"]):

        def median(reports: list[dict], key: str, index: int = index) -> float:
            return statistics.median(report["cases"][index][key] for report in reports)

        rounds = sorted(
            n["cases"][index]["p50"] / b["cases"][index]["p50"]
            for b, n in zip(before, now, strict=True)
        )
        was, is_ = median(before, "p50"), median(now, "p50")
        cpu_was, cpu_is = median(before, "cpu"), median(now, "cpu")
        queries = f"{_queries(before[0]['cases'][index]['queries'])} / {_queries(row['queries'])}"
        print(
            f"| {row['case']} | {was:.1f} ms | {is_:.1f} ms | {is_ / was:.2f} "
            f"| {rounds[0]:.2f}-{rounds[-1]:.2f} "
            f"| {median(before, 'p90'):.1f} / {median(now, 'p90'):.1f} ms "
            f"| {cpu_was:.1f} / {cpu_is:.1f} ms ({cpu_is / cpu_was:.2f}) | {queries} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=MESSAGES, help="in General")
    parser.add_argument("--runs", type=int, default=100, help="loads of each page (turns)")
    parser.add_argument("--database", default=f"{PREFIX}_pages")
    parser.add_argument("--json", help="write the figures here too")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    parser.add_argument("--show-queries", action="store_true", help="print each case's SQL")
    parser.add_argument("--ab", metavar="CHECKOUT", help="A/B against this other checkout")
    parser.add_argument("--rounds", type=int, default=3, help="with --ab: new databases")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # for --ab
    args = parser.parse_args()
    if args.ab:
        ab(args)
    elif args.serve:
        serve(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
