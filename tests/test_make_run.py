"""`make run` on a fresh clone works in every configuration the README names: embedded
defaults (no servers), PostgreSQL and Redis from the environment, and the same from a `.env`
file. Web, worker and beat start and stay up, everything the broker and beat write lands
under var/, and one SIGTERM to the process group stops every process."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings

from tests.make_run import fresh_clone, make_run, status_of

# The bug this guards against killed everything about a second after beat started.
STAYS_UP_SECONDS = 5


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A PostgreSQL database of this test's own, dropped afterwards; yields its URL."""
    db = settings.DATABASES["default"]
    server = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or "5432"}
    credentials = {"user": db["USER"], "password": db["PASSWORD"]}
    name = f"parley_makerun_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server, **credentials) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = quote(db["USER"], safe="") + (
        f":{quote(db['PASSWORD'], safe='')}" * bool(db["PASSWORD"])
    )
    yield f"postgres://{auth}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server, **credentials) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrations_applied(database_url: str) -> int:
    with psycopg.connect(database_url) as db:
        return db.execute("SELECT count(*) FROM django_migrations").fetchone()[0]


def dotenv_from_example(values: dict[str, str]) -> str:
    """.env.example with `values` filled in, as a person editing their .env would."""
    text = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    for key, value in values.items():
        text, found = re.subn(rf"^{key}=.*$", f"{key}={value}", text, flags=re.M)
        assert found == 1, f"{key} is not in .env.example"
    return text


@pytest.mark.parametrize("configuration", ["embedded", "services_in_env", "services_in_dotenv"])
def test_make_run_on_a_fresh_clone_serves_and_keeps_every_process_up(
    configuration: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    tree = fresh_clone(tmp_path / "parley")
    top_level_before = {path.name for path in tree.iterdir()}
    env: dict[str, str] = {}
    if configuration != "embedded":
        database_url = request.getfixturevalue("scratch_database")
        services = {
            "DATABASE_URL": database_url,
            "REDIS_URL": settings.REDIS_URL,
            "CHANNEL_LAYER_PREFIX": f"parley-makerun-{uuid.uuid4().hex[:12]}",
        }
        if configuration == "services_in_env":
            env = services
        else:
            (tree / ".env").write_text(dotenv_from_example(services))

    with make_run(tree, env) as run:
        assert status_of(f"{run.url}/static/css/parley.css") == 200
        run.wait_for("beat: Starting")
        beat_started = time.monotonic()
        run.wait_for(" ready.")
        time.sleep(max(0.0, beat_started + STAYS_UP_SECONDS - time.monotonic()))

        assert run.process.poll() is None, run.output()[-3000:]
        running = "\n".join(run.processes())
        assert "celery -A project worker" in running
        assert "celery -A project beat" in running
        assert status_of(f"{run.url}/accounts/login/") == 200
    # Leaving the block stopped it and checked that no process of its session is left.

    broker = "filesystem" if configuration == "embedded" else "redis"
    assert f"Connected to {broker}://" in run.output()
    # The worker stopped its own pool; no pool process was killed under a running task.
    assert "signal 15 (SIGTERM)" not in run.output()
    var = tree / "var"
    assert list(var.glob("celerybeat-schedule*")), "beat wrote no schedule under var/"
    if configuration == "embedded":
        assert (var / "parley.sqlite3").exists()
        assert list((var / "celery" / "control").iterdir()), "kombu's tables are not in var/"
    else:
        assert not (var / "parley.sqlite3").exists()
        assert migrations_applied(database_url) > 0
    # Nothing but var/ and the .env that `make run` makes appears beside the code.
    assert {path.name for path in tree.iterdir()} - top_level_before <= {"var", ".env"}
