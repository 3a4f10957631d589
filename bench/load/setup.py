"""Setup: the PostgreSQL databases of the run, and Parley's users, sessions and room.

Each server of a run gets a database of its own on the PostgreSQL at BENCH_POSTGRES,
dropped first if a killed run left one behind, and dropped again at the end. Parley's is
migrated with `manage.py migrate` and seeded here, in this process, through Django: one
user and one signed-in session per socket, written in bulk and encoded exactly as Django's
login writes them, so every socket of the load is a signed-in browser to Parley.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from bench.scratch import POSTGRES as POSTGRES  # the run's servers use these too
from bench.scratch import ROOT as ROOT
from bench.scratch import drop_database as drop_database
from bench.scratch import recreate_database as recreate_database

BIN = Path(sys.executable).parent
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
# The databases are <prefix>_load (Parley), <prefix>_tutorial and <prefix>_handwritten; another
# prefix keeps two runs that share a PostgreSQL server apart.
DATABASE_PREFIX = os.environ.get("BENCH_DATABASE_PREFIX", "parley_bench")
# Messages already in the bench room when a run starts.
HISTORY = 20_000
SECRET_KEY = "bench"
# The room every scenario talks in (Parley's slug; the references' room name in the URL).
ROOM = "bench"
# The environment the bench was started with, before seed() sets Django's variables here:
# every server starts from this, plus its own variables.
BASE_ENV: Mapping[str, str] = dict(os.environ)


def django_migrate(env: Mapping[str, str]) -> None:
    """`migrate` of the Django project that `env`'s DJANGO_SETTINGS_MODULE names."""
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        check=True,
    )


def add_history(room_id: int, author_id: int) -> None:
    """The room's earlier messages, then the statistics autovacuum keeps on a live database.

    A fresh, never-analysed message table is not what a server meets in production, and it
    misleads the planner: the batch statement, prepared on a connection's fifth use while the
    table is nearly empty, kept a plan that walked all of the room's messages for each send,
    so every send cost more than the last until autovacuum's ANALYZE, a minute or more in
    (docs/performance.md, "What each lever bought", session 3).
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO chat_message (room_id, seq, author_id, body, client_id, created_at)"
            " SELECT %s, g, %s, 'earlier message ' || g, 'history-' || g,"
            "  now() - make_interval(secs => %s - g)"
            " FROM generate_series(1, %s) g",
            [room_id, author_id, HISTORY, HISTORY],
        )
        cursor.execute(
            "UPDATE chat_room SET last_seq = %s, message_count = %s WHERE id = %s",
            [HISTORY, HISTORY, room_id],
        )
        cursor.execute("VACUUM ANALYZE")


def seed_parley(env: Mapping[str, str], users: int) -> list[str]:
    """Users bench0..bench<users-1>, a signed-in session for each, and the room.

    Returns the session keys, one per user. Passwords are unusable (hashing thousands would
    take minutes). Django is set up in this process with Parley's settings and `env`.
    """
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY", "DEBUG"):
        os.environ[name] = env[name]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from chat.models import Room

    user_model = get_user_model()
    password = make_password(None)
    people = user_model.objects.bulk_create(
        [
            user_model(username=f"bench{i}", email=f"bench{i}@example.com", password=password)
            for i in range(users)
        ],
        batch_size=1000,
    )
    room = Room.objects.create(name="Bench", slug=ROOM, created_by=people[0])
    add_history(room.pk, people[0].pk)
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    sessions = [
        Session(
            session_key=get_random_string(32, VALID_KEY_CHARS),
            session_data=store.encode(
                {
                    SESSION_KEY: str(person.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: person.get_session_auth_hash(),
                }
            ),
            expire_date=expires,
        )
        for person in people
    ]
    Session.objects.bulk_create(sessions, batch_size=1000)
    connection.close()
    connection.close_pool()
    return [session.session_key for session in sessions]
