"""Runs `make run` the way a newcomer does: on a fresh clone of the tree, with only the
configuration a test gives it; and stops it the way Ctrl-C or a supervisor does, with SIGTERM
to its process group, then checks that nothing of it is left running.

Used by tests/test_make_run.py, tests/test_make_run_stops_when_a_process_dies.py and
tests/browser/test_make_run_in_a_browser.py.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 30

# Parley's own variables, as .env.example lists them. None of the test run's values (its
# DATABASE_URL, SECRET_KEY, CHANNEL_LAYER_PREFIX...) may leak into a run; a test passes the
# configuration it means.
APP_VARIABLES = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
# Under `make test`, an outer make's variables would make this one a sub-make, which talks
# differently ("make[1]: Entering directory"); a newcomer's `make run` is a make of its own.
OUTER_MAKE_VARIABLES = {"MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}


@dataclass
class MakeRun:
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, text: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Wait until `text` appears in the output; fail if `make run` ends first."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.process.poll() is None, f"make run ended:\n{self.output()[-3000:]}"
            assert time.monotonic() < deadline, f"no {text!r} in time:\n{self.output()[-3000:]}"
            time.sleep(0.2)

    def processes(self) -> list[str]:
        """`ps` lines of every process still in the run's session."""
        return processes_in_session(self.process.pid)


def fresh_clone(destination: Path) -> Path:
    """The tree as a fresh clone has it, in `destination`: the files git tracks, plus new ones
    not yet committed, as they are in the working tree, and no var/ or .env. The checkout's
    .venv is linked in so no bootstrap is needed; copying keeps modification times, so make
    finds that .venv up to date as the checkout's make would."""
    destination.mkdir(parents=True, exist_ok=True)
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    for name in listing.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():  # not a file deleted in the working tree
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    (destination / ".venv").symlink_to(ROOT / ".venv")
    return destination


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return 0


def processes_in_session(session_id: int) -> list[str]:
    listing = subprocess.run(
        ["ps", "-eo", "sid=,pid=,args="], capture_output=True, text=True, check=True
    ).stdout
    return [line for line in listing.splitlines() if line.split()[0] == str(session_id)]


@contextmanager
def started_make_run(tree: Path, env: dict[str, str] | None = None) -> Iterator[MakeRun]:
    """`make run` in `tree` on a free port, with Parley's variables taken only from `env` (and
    from the tree's .env, as `make run` reads it). Yields at once. On exit: SIGTERM to its
    process group if it still runs, then an AssertionError if any process of it is left."""
    port = free_port()
    run_env = {
        key: value
        for key, value in os.environ.items()
        if key not in APP_VARIABLES | OUTER_MAKE_VARIABLES and not key.startswith("DJANGO_")
    }
    run_env.update(env or {})
    log = tree.parent / f"{tree.name}-make-run.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=tree,
            env=run_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield MakeRun(f"http://127.0.0.1:{port}", log, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        finally:
            left = wait_until_session_ends(process.pid)
    assert left == [], f"still running after make run ended: {left}"


def wait_until_session_ends(session_id: int, timeout: float = 15) -> list[str]:
    """What was still running of the session after `timeout`; that is then killed, so that a
    failing test leaves nothing behind."""
    deadline = time.monotonic() + timeout
    while (left := processes_in_session(session_id)) and time.monotonic() < deadline:
        time.sleep(0.5)
    for line in left:
        with suppress(ProcessLookupError):
            os.kill(int(line.split()[1]), signal.SIGKILL)
    return left


@contextmanager
def make_run(tree: Path, env: dict[str, str] | None = None) -> Iterator[MakeRun]:
    """`started_make_run`, yielding once the login page answers 200."""
    with started_make_run(tree, env) as run:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while status_of(f"{run.url}/accounts/login/") != 200:
            assert run.process.poll() is None, run.output()[-3000:]
            assert time.monotonic() < deadline, "make run did not serve in time"
            time.sleep(0.5)
        yield run
