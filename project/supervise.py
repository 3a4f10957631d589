"""Runs the processes of a Procfile together for `make run`, and stops them together.

Usage: python project/supervise.py [Procfile]

Each `name: command` line of the Procfile runs under /bin/sh (so `exec` the program, as the
Procfile does, for signals to reach it), its output relayed line by line and marked with its
name (`beat   | ...`). The contract:

- SIGINT or SIGTERM (Ctrl-C, or a supervisor above this one) stops every process: one
  SIGTERM to each, then SIGKILL to whatever is left of its process group after
  STOP_TIMEOUT_SECONDS. Exit status 0.
- A process that exits on its own stops all the others the same way; then one line, the last
  one printed, says which process, how it ended, its last line of output and where to read
  the rest. Exit status 1.

Each process gets a process group of its own, in this session: Ctrl-C in a terminal then
reaches only `make` and this script, so every process gets exactly one signal, from here (a
Celery worker takes a second one as "abandon running tasks now"), and shuts down its own
children (the worker's pool) in order; the group is what is killed if that takes too long.
Only the standard library: this runs before, and apart from, the app.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

STOP_TIMEOUT_SECONDS = 10
POLL_SECONDS = 0.2
PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")

_output_lock = threading.Lock()


def say(line: str) -> None:
    with _output_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


@dataclass
class Entry:
    name: str
    command: str


class Running:
    """One Procfile process, started at once, its output relayed by a thread of its own."""

    def __init__(self, entry: Entry, width: int) -> None:
        self.name = entry.name
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", entry.command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Output goes through a pipe: without this, Python programs hold it back in blocks.
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            process_group=0,
        )
        self.last_line = ""
        # A daemon: something the process left behind in another group may hold the pipe open.
        self._relay = threading.Thread(
            target=self._relay_output, args=(entry.name.ljust(width),), daemon=True
        )
        self._relay.start()

    def _relay_output(self, prefix: str) -> None:
        """Copy the output to ours, each line marked with the name; keep the last non-blank
        line for the report."""
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip()
            if line.strip():
                self.last_line = line.strip()
            say(f"{prefix} | {line}")

    def alive(self) -> bool:
        """True while the process, or anything left in its process group, still runs."""
        self.process.poll()  # reaps the leader, so a zombie does not count as running
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill_group(self) -> None:
        """SIGKILL to whatever is left of the process group; then wait for the output's end."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._relay.join(timeout=2)


def read_procfile(path: Path) -> list[Entry]:
    try:
        text = path.read_text()
    except OSError as error:
        raise SystemExit(f"Cannot read the Procfile: {error}") from None
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PROCFILE_LINE.match(line)
        if not match:
            raise SystemExit(f"{path} line {number} is not `name: command`: {raw!r}")
        entries.append(Entry(match[1], match[2]))
    if not entries:
        raise SystemExit(f"{path} names no process")
    return entries


def stop_all(running: list[Running]) -> None:
    for item in running:
        # The program alone: it stops its own children in order (SIGTERM to a Celery
        # worker's pool processes would kill their tasks mid-way).
        item.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while any(item.alive() for item in running) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    for item in running:
        item.kill_group()


def how_it_ended(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with code {returncode}"


def and_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def report(dead: Running, running: list[Running]) -> str:
    """One line: which process ended, how, its last words, and where to read the rest."""
    line = f"{dead.name} {how_it_ended(dead.process.returncode)}"
    others = [item.name for item in running if item is not dead]
    if others:
        line += f", so {and_list(others)} {'was' if len(others) == 1 else 'were'} stopped"
    if dead.last_line:
        line += f'; its last line: "{dead.last_line}"'
    return line + f' (see the lines marked "{dead.name}" above)'


def main(argv: list[str]) -> int:
    entries = read_procfile(Path(argv[1] if len(argv) > 1 else "Procfile"))
    stop_requested: list[int] = []

    def request_stop(signum: int, frame: object) -> None:
        stop_requested.append(signum)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    width = max(len(entry.name) for entry in entries)
    running = [Running(entry, width) for entry in entries]
    say(
        "Started "
        + and_list([f"{item.name} (pid {item.process.pid})" for item in running])
        + "; Ctrl-C stops them all."
    )
    dead = None
    while not stop_requested and dead is None:
        time.sleep(POLL_SECONDS)
        dead = next((item for item in running if item.process.poll() is not None), None)
    stop_all(running)
    if stop_requested or dead is None:
        return 0
    say(report(dead, running))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
