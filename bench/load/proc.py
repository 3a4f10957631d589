"""Where the time and the memory go: CPU seconds and resident memory read from /proc.

A server is counted as its whole process tree, the process the bench started and every
descendant, since an ASGI server may fork workers (or run under a shell). CPU over a
measured window is, per process, its utime + stime at the end minus at the start (zero for
a process born during the window); a process that exits during the window loses its share,
which a server that keeps its workers never does. PostgreSQL is counted as the backends
connected to the server's own database, Redis as the redis-server process, the load
generator as this process, and "other" as the rest of the machine's busy time (other
programs, and kernel work not charged to a process).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants that are alive now (empty if root is gone)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    if not Path(f"/proc/{root}").exists():
        return []
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def process_cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def rss_kib(pid: int) -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("VmRSS:")), 0)


def tree_rss_kib(root: int) -> int:
    """VmRSS summed over the tree: pages that forked workers share are counted in each."""
    return sum(rss_kib(pid) for pid in process_tree(root))


def machine_busy_seconds() -> float:
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS  # all but idle and iowait


def find_redis_pid() -> int | None:
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "redis-server":
                return int(comm.parent.name)
        except OSError:
            continue
    return None


def cpu_of(pids: Iterable[int]) -> dict[int, float]:
    return {pid: process_cpu_seconds(pid) for pid in pids}


def used_since(begin: dict[int, float], end: dict[int, float]) -> float:
    return sum(seconds - begin.get(pid, 0.0) for pid, seconds in end.items())


@dataclass(frozen=True)
class Cpu:
    """CPU used during a measured window, in % of one core (the machine total is of all)."""

    server: float  # the server's process tree
    postgres: float
    redis: float
    client: float  # this load generator
    machine: float  # of all cores: up to 100 x nproc

    @property
    def other(self) -> float:
        return self.machine - self.server - self.postgres - self.redis - self.client

    def line(self) -> str:
        saturated = " (the load generator was saturated)" if self.client > 90 else ""
        return (
            f"CPU server {self.server:.0f}%, postgres {self.postgres:.0f}%,"
            f" redis {self.redis:.0f}%, load generator {self.client:.0f}%,"
            f" other {self.other:.0f}%{saturated}"
        )


class CpuMeter:
    """CPU of one server's tree, its database's backends, redis-server, this process and the
    machine between start() and stop()."""

    def __init__(self, postgres_url: str, root_pid: int, database: str) -> None:
        self.root_pid = root_pid
        self.database = database
        self.redis_pid = find_redis_pid()
        self.admin = psycopg.connect(f"{postgres_url}/postgres", autocommit=True)
        self.begin: dict[str, dict[int, float]] = {}
        self.begin_client = self.begin_machine = self.started = 0.0

    def backends(self) -> list[int]:
        rows = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]
        ).fetchall()
        return [pid for (pid,) in rows]

    def sample(self) -> dict[str, dict[int, float]]:
        return {
            "server": cpu_of(process_tree(self.root_pid)),
            "postgres": cpu_of(self.backends()),
            "redis": cpu_of([self.redis_pid] if self.redis_pid else []),
        }

    def start(self) -> None:
        self.begin = self.sample()
        self.begin_client = time.process_time()
        self.begin_machine = machine_busy_seconds()
        self.started = time.monotonic()

    def stop(self) -> Cpu:
        client = time.process_time() - self.begin_client
        machine = machine_busy_seconds() - self.begin_machine
        wall = time.monotonic() - self.started
        end = self.sample()
        share = {name: 100 * used_since(self.begin[name], end[name]) / wall for name in end}
        return Cpu(client=100 * client / wall, machine=100 * machine / wall, **share)

    async def settle(self, below: float = 10.0, within: float = 30.0) -> None:
        """Wait until the server is nearly idle, so one scenario's backlog does not bill the
        next."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            before = cpu_of(process_tree(self.root_pid))
            await asyncio.sleep(0.5)
            after = cpu_of(process_tree(self.root_pid))
            if 100 * used_since(before, after) / 0.5 < below:
                return

    def close(self) -> None:
        self.admin.close()


class Profiler:
    """py-spy recording a server's tree during each measured window, with --profile-dir."""

    def __init__(self, directory: Path | None, preexec: Callable[[], None]) -> None:
        self.directory = directory
        self.preexec = preexec
        self.process: subprocess.Popen[bytes] | None = None
        self.executable = shutil.which("py-spy") or os.environ.get("BENCH_PY_SPY", "")
        if directory is not None:
            if not self.executable:
                raise SystemExit("--profile-dir needs py-spy on PATH or BENCH_PY_SPY")
            directory.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, pid: int) -> None:
        if self.directory is None:
            return
        output = self.directory / f"{name}.txt"
        command = [self.executable, "record", "--pid", str(pid), "--subprocesses"]
        self.process = subprocess.Popen(
            [*command, "--rate", "200", "--nonblocking", "--format", "raw", "-o", str(output)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=self.preexec,
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
