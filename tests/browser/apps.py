"""An app installed only in the server under test (tests/settings.py, when
PARLEY_SERVER_UNDER_TEST is set by the `_server` fixture): nothing of it runs in production.

Between browser tests the test database is flushed, and the flush makes the content types
again, under new ids. Django caches content types per process, so the server, which lives
across tests, would write LogEntry rows (a moderator's action, an author's edit) with the id
of a content type that no longer exists, and fail on the foreign key. Its cache is turned
off: each lookup reads the table, as a fresh process would.
"""

from django.apps import AppConfig


class ServerUnderTestConfig(AppConfig):
    name = "tests.browser"
    label = "server_under_test"

    def ready(self) -> None:
        from django.contrib.contenttypes.models import ContentTypeManager

        def _add_to_cache(self: ContentTypeManager, using: str, ct: object) -> None:
            return None

        ContentTypeManager._add_to_cache = _add_to_cache  # type: ignore[method-assign]
