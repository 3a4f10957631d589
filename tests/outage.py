"""A real database outage for tests: the test database refuses every connection."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from asgiref.sync import SyncToAsync
from django.db import connection, connections


class Outage:
    """Cuts every connection to the test database and refuses new ones, for real."""

    def __init__(self) -> None:
        settings = connection.settings_dict
        self.name = settings["NAME"]
        self.admin = psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            password=settings["PASSWORD"],
            dbname="postgres",
            autocommit=True,
        )

    def cut(self) -> int:
        """Refuse new connections and end every open one; returns how many were ended."""
        self.admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        rows = self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [self.name],
        ).fetchall()
        return len(rows)

    def restore(self) -> None:
        self.admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    @contextmanager
    def during(self) -> Iterator[None]:
        self.cut()
        try:
            yield
        finally:
            self.restore()

    def end(self) -> None:
        """Let the database take connections again and drop this process's cut ones: its
        pool holds them, on the thread database_sync_to_async runs on too, and a later test
        would meet them ("terminating connection due to administrator command")."""
        self.restore()
        self.admin.close()
        SyncToAsync.single_thread_executor.submit(connections.close_all).result()
        connections.close_all()
        connection.close_pool()
