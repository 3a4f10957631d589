"""How `make test` deals the suite out to pytest-xdist's workers (`-n N --dist loadscope`;
tests/conftest.py hands xdist this scheduler for `loadscope`).

A scope is what one worker runs in one stretch; xdist hands out the biggest first, then the
rest one by one to whichever worker is nearly out of work. The scopes:

- The browser tests, whole files, in one group per worker but one (one group with two
  workers): Chromium and the server under test are package-scoped fixtures, so a worker
  going back and forth between browser tests and others would start them again every time
  it came back. Files are dealt by number of tests, so the groups take about as long; with
  a worker left over, not every worker drives a browser at once.
- A few modules, whole: one whose tests share a module-scoped fixture that is slow to make,
  and the slow ones that start processes without the database. pytest-django puts tests
  without the database last, so these would come at the very end, side by side, and the
  run would wait on the last of them; as units of several tests they are handed out first,
  and a module's tests run one after the other.
- Every other test on its own, so the slow ones (the ops tests' server processes, the
  10,000-message rooms) spread out.

(xdist's own `loadgroup` would do the grouping by marks, but with pytest 9.2 it silently
groups nothing: pytest-dev/pytest-xdist#1386.)
"""

from __future__ import annotations

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling

BROWSER_TESTS = "tests/browser/"
WHOLE_MODULES = frozenset(
    {
        # One collectstatic run and server for its tests (the `production` fixture).
        "tests/test_static_files_are_hashed_compressed_and_cached.py",
        # `make run` on a fresh clone (web, Celery worker and beat): about 20 s each.
        "tests/test_make_run.py",
        "tests/test_make_run_stops_when_a_process_dies.py",
        # Web processes of 1, 2 and one per core workers: about 10 s each.
        "tests/test_web_processes.py",
    }
)


class ParleyScheduling(LoadScopeScheduling):
    def __init__(self, config: pytest.Config, log: Producer | None = None) -> None:
        super().__init__(config, log)
        self.browser_group_of: dict[str, str] = {}

    def schedule(self) -> None:
        if self.collection is None and self.registered_collections:
            collection = next(iter(self.registered_collections.values()))
            self.browser_group_of = deal_browser_files(collection, max(1, len(self.nodes) - 1))
        super().schedule()

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        if path in self.browser_group_of:
            return self.browser_group_of[path]
        if path in WHOLE_MODULES:
            return path
        return nodeid


def deal_browser_files(nodeids: list[str], groups: int) -> dict[str, str]:
    """The browser test files, each to the group with the fewest tests so far."""
    tests_in: dict[str, int] = {}
    for nodeid in nodeids:
        path = nodeid.split("::", 1)[0]
        if path.startswith(BROWSER_TESTS):
            tests_in[path] = tests_in.get(path, 0) + 1
    sizes = [0] * groups
    group_of = {}
    for path in sorted(tests_in, key=lambda path: (-tests_in[path], path)):
        group = sizes.index(min(sizes))
        sizes[group] += tests_in[path]
        group_of[path] = f"browser-{group}"
    return group_of
