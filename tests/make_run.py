"""Starts `make run` the way a newcomer does, on embedded defaults (no DATABASE_URL, no
REDIS_URL), and stops it the way Ctrl-C or a supervisor does: SIGTERM to its process group.

Used by tests/test_make_run.py and tests/browser/test_make_run_in_a_browser.py.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 90


@dataclass
class MakeRun:
    url: str
    log: Path
    process: subprocess.Popen

    def output(self) -> str:
        return self.log.read_text()


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
def make_run(var_dir: Path) -> Iterator[MakeRun]:
    """`make run` on a free port with its data in `var_dir`, serving once this yields.
    On exit: SIGTERM to the group, then an AssertionError if any process is left."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
        and not key.startswith("DJANGO_ALLOW")
    }
    env.update(PARLEY_VAR_DIR=str(var_dir), DEBUG="1")
    had_dotenv = (ROOT / ".env").exists()
    log = var_dir / "run.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    run = MakeRun(f"http://127.0.0.1:{port}", log, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while status_of(f"{run.url}/accounts/login/") != 200:
            assert process.poll() is None, run.output()[-3000:]
            assert time.monotonic() < deadline, "make run did not serve in time"
            time.sleep(0.5)
        yield run
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        if not had_dotenv:
            (ROOT / ".env").unlink(missing_ok=True)
    deadline = time.monotonic() + 15
    while (left := processes_in_session(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == [], f"still running after SIGTERM: {left}"
