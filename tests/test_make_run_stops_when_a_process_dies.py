"""When one process of `make run` dies, the others are stopped, and one line, the last before
make's own, says which process, how it ended and where to read why; nothing is left running.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from tests.make_run import fresh_clone, make_run, started_make_run, status_of

EXIT_TIMEOUT_SECONDS = 90


def last_line(output: str) -> str:
    """The output's last line, make's own lines (`make: *** ... Error 1`) aside."""
    return [line for line in output.splitlines() if not line.startswith("make: ")][-1]


def test_a_process_that_fails_is_named_in_one_line_with_its_exit_code(tmp_path: Path) -> None:
    tree = fresh_clone(tmp_path / "parley")
    # Beat alone fails, as it did when nothing had made var/: its schedule cannot be opened.
    procfile = tree / "Procfile"
    beat = re.compile(r"^beat: (.*)$", re.M)
    procfile.write_text(
        beat.sub(r"beat: \1 --schedule /nonexistent/schedule", procfile.read_text())
    )

    with started_make_run(tree) as run:
        assert run.process.wait(timeout=EXIT_TIMEOUT_SECONDS) != 0
    # Leaving the block checked that no process of its session is left.

    output = run.output()
    assert "Started web" in output
    report = last_line(output)
    assert report.startswith(
        "beat exited with code 1, so web and worker were stopped; its last line: "
        "\"FileNotFoundError: [Errno 2] No such file or directory: b'/nonexistent/schedule"
    )
    assert report.endswith('(see the lines marked "beat" above)')
    assert [line for line in output.splitlines() if "exited with code" in line] == [report]
    # Beat's traceback is there to read, marked as beat's; nothing else printed one.
    tracebacks = [
        line for line in output.splitlines() if line.endswith("Traceback (most recent call last):")
    ]
    assert tracebacks
    assert all(line.startswith("beat   | ") for line in tracebacks)


def test_a_process_killed_while_serving_stops_the_others(tmp_path: Path) -> None:
    tree = fresh_clone(tmp_path / "parley")
    with make_run(tree) as run:
        run.wait_for(" ready.")
        started = re.search(r"beat \(pid (\d+)\)", run.output())
        assert started, run.output()
        os.kill(int(started[1]), signal.SIGKILL)
        assert run.process.wait(timeout=EXIT_TIMEOUT_SECONDS) != 0
        assert status_of(f"{run.url}/accounts/login/") == 0

    report = last_line(run.output())
    assert report.startswith("beat was killed by SIGKILL, so web and worker were stopped; ")
    assert report.endswith('(see the lines marked "beat" above)')
