"""`make run` serves the whole app on embedded defaults (no PostgreSQL, no Redis): web,
Celery worker and beat; and one SIGTERM to its process group stops all of them with nothing
left running."""

import time

from tests.make_run import make_run, status_of


def test_make_run_serves_everything_and_stops_cleanly(tmp_path):
    with make_run(tmp_path) as run:
        assert status_of(f"{run.url}/static/css/parley.css") == 200
        deadline = time.monotonic() + 60
        while "ready" not in run.output() or "beat: Starting" not in run.output():
            assert time.monotonic() < deadline, "worker or beat did not start"
            time.sleep(0.5)
        assert (tmp_path / "parley.sqlite3").exists()
    # Leaving the block stopped it and checked that no process of its session is left.
