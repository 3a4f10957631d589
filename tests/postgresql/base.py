"""The tests' database backend: Django's PostgreSQL backend, but for how a test's rows are
cleared after it.

After every transactional test (`django_db(transaction=True)`: the socket, server and
browser tests, some 300 of them) Django's `flush` empties every table with one TRUNCATE.
TRUNCATE gives each table and each of its indexes new files, which took 0.5 to 1 s for
Parley's 17 tables on the two-core test machine, while DELETE empties tables of a few rows
in a few milliseconds. So the flush deletes, unless a table has grown past TRUNCATE_FROM
(a test that filled a room with 10,000 messages, say): then it truncates as Django does,
since deleting that much costs more, and would leave dead rows for the next tests to wade
through. Either way every table ends empty and the sequences go on (`flush` resets none).

`flush` runs the statements in one transaction. They first lock every table against writes,
as TRUNCATE does (in the same order), so that a server process still writing (a late frame
to the browser tests' server) waits for the flush and then finds its rows gone, instead of
adding one the DELETEs have passed. The DELETEs may then come in any order: every foreign
key here is DEFERRABLE INITIALLY DEFERRED (Django makes them so) and is checked at commit,
when every table is empty. Only `flush` calls sql_flush; the app never does.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

TRUNCATE_FROM = 1024 * 1024  # bytes of a table with its indexes and TOAST


class DatabaseOperations(base.DatabaseOperations):
    def sql_flush(
        self,
        style: Any,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if not tables or reset_sequences or allow_cascade or self._any_large(tables):
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        names = [style.SQL_FIELD(self.quote_name(table)) for table in tables]
        return [
            f"{style.SQL_KEYWORD('LOCK TABLE')} {', '.join(names)} "
            f"{style.SQL_KEYWORD('IN EXCLUSIVE MODE')};",
            *(f"{style.SQL_KEYWORD('DELETE FROM')} {name};" for name in names),
        ]

    def _any_large(self, tables: list[str]) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT FROM unnest(%s::text[]) AS name"
                " WHERE pg_total_relation_size(quote_ident(name)::regclass) >= %s)",
                [tables, TRUNCATE_FROM],
            )
            return cursor.fetchone()[0]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
