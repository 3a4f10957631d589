"""A scratch PostgreSQL database for a stand-alone benchmark, and Django set up on it.

Each benchmark script (bench/*.py) builds its own database on the PostgreSQL at
BENCH_POSTGRES: dropped and made again at the start, dropped at the end unless asked to keep
it. The load benchmark (bench/load) makes its databases here too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def recreate_database(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(name: str) -> None:
    """Parley's settings as production has them (DEBUG off), on database `name`, in this
    process; no Redis, so the embedded channel layer."""
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DATABASE_URL=f"{POSTGRES}/{name}",
        SECRET_KEY="bench-only",
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
        WHITENOISE_USE_FINDERS="0",
        # One per database: two checkouts benchmarked side by side collect different files.
        STATIC_ROOT=f"/tmp/parley-bench-static-{name}",
        DJANGO_SETTINGS_MODULE="project.settings",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
