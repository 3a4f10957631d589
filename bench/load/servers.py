"""The servers of a run: Parley, and the two references it is measured against.

- parley: started with the command of the `web:` line of the repo's Procfile, read at run
  time (or --parley-cmd), through `/bin/sh -c` as honcho runs it, with PARLEY_HOST and
  PARLEY_PORT, WEB_CONCURRENCY (--parley-processes, default 1), DEBUG=0, its own database
  (parley_bench_load), the Redis at BENCH_REDIS under a channel-layer prefix of its own,
  and the flood limits off (CHAT_RATE_LIMIT, CHAT_FRAME_LIMIT, CHAT_MAX_SOCKETS_PER_USER = 0).
- tutorial: bench/load/tutorial, the Channels tutorial's async consumer with an ORM save,
  served by daphne, on parley_bench_tutorial and `RedisChannelLayer`.
- handwritten: bench/load/handwritten.py, `websockets` + an async psycopg pool, on
  parley_bench_handwritten.

Each runs in a session (process group) of its own, on a free port, with its output in a
temporary log that is printed if the run fails. Its process tree is what the CPU and memory
figures count. Stopping sends SIGTERM to the group, then SIGKILL to whatever is left; the
group leader also gets SIGTERM if the bench dies (PR_SET_PDEATHSIG), so no server outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import psycopg

from bench.load import setup
from bench.load.clients import HandwrittenPeer, ParleyPeer, Peer, TutorialPeer
from bench.load.proc import process_tree, tree_rss_kib

HOST = "127.0.0.1"


def die_with_parent() -> None:
    """In the child before exec: SIGTERM it if the bench dies."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def procfile_command(process: str = "web") -> str:
    """The command of a Procfile line, as honcho would run it."""
    for line in (setup.ROOT / "Procfile").read_text().splitlines():
        name, colon, command = line.partition(":")
        if colon and name.strip() == process:
            return command.strip()
    raise SystemExit(f"Procfile has no {process}: line")


class Server:
    """One server process tree: prepared, started, measured, stopped, cleaned up."""

    name = ""
    database = ""
    peer_class: type[Peer] = Peer

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.seen_processes = 0  # the tree's size when it was last measured, or stopped
        self.extensions = ""  # what the server accepted of the clients' offer (deflate)
        self.suspect = False  # a check failed: keep the log, it may say why

    # What differs per server.

    def prepare(self, sockets: int) -> None:
        """Create (and migrate, and seed) the database, for up to `sockets` sockets."""
        setup.recreate_database(self.database)

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(setup.BASE_ENV)

    @property
    def path(self) -> str:
        return f"/ws/chat/{setup.ROOM}/"

    def headers(self, socket: int) -> Mapping[str, str]:
        return {}

    def stored_query(self) -> str:
        """SQL returning (client_id, seq or id) for the rows with client_id = ANY(%s)."""
        raise NotImplementedError

    # The same for all.

    @property
    def url(self) -> str:
        return f"ws://{HOST}:{self.port}{self.path}"

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def describe(self) -> str:
        return shlex.join(self.command())

    def start(self) -> None:
        with tempfile.NamedTemporaryFile(
            prefix=f"parley-bench-{self.name}-", suffix=".log", delete=False
        ) as log:
            self.log_path = Path(log.name)
            self.process = subprocess.Popen(
                self.command(),
                cwd=setup.ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )

    async def ready(self, within: float = 60.0) -> None:
        """Until the port accepts connections (forked workers may still be starting: the
        first sockets' long open timeout covers them)."""
        assert self.process is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.tail()}"
                )
            try:
                _, writer = await asyncio.open_connection(HOST, self.port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return
        raise RuntimeError(f"{self.name} did not listen within {within:.0f} s:\n{self.tail()}")

    def processes(self) -> int:
        count = len(process_tree(self.pid))
        self.seen_processes = max(self.seen_processes, count)
        return count

    def rss_kib(self) -> int:
        return tree_rss_kib(self.pid)

    def stored(self, client_ids: list[str]) -> dict[str, list[int]]:
        """Every row the server's database holds for these client_ids: seq (Parley) or id."""
        rows: dict[str, list[int]] = {client_id: [] for client_id in client_ids}
        with psycopg.connect(f"{setup.POSTGRES}/{self.database}") as connection:
            for client_id, value in connection.execute(self.stored_query(), [client_ids]):
                rows[client_id].append(value)
        return rows

    def tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def facts(self) -> dict[str, str | int]:
        return {
            "command": self.describe(),
            "processes": self.seen_processes,
            "extensions": self.extensions,
        }

    def stop(self, keep_log: bool) -> None:
        if self.process is not None:
            self.seen_processes = max(self.seen_processes, self.processes())
            group = self.process.pid
            if self.process.poll() is None:
                signal_group(group, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=10)
            deadline = time.monotonic() + 5
            while group_alive(group) and time.monotonic() < deadline:
                time.sleep(0.1)
            signal_group(group, signal.SIGKILL)
            self.process.wait()
        if self.log_path is not None:
            if keep_log:
                print(f"{self.name}'s log: {self.log_path}\n{self.tail()}", file=sys.stderr)
            elif self.suspect:
                print(
                    f"{self.name}'s log, kept as a check failed: {self.log_path}", file=sys.stderr
                )
            else:
                self.log_path.unlink(missing_ok=True)

    def cleanup(self) -> None:
        setup.drop_database(self.database)


def signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


class Parley(Server):
    name = "parley"
    database = f"{setup.DATABASE_PREFIX}_load"
    peer_class = ParleyPeer

    def __init__(self, processes: int = 1, command: str | None = None) -> None:
        super().__init__()
        self.processes_wanted = processes
        self.shell_command = command or procfile_command("web")
        self.sessions: list[str] = []

    def env(self) -> dict[str, str]:
        return {
            **setup.BASE_ENV,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DATABASE_URL": f"{setup.POSTGRES}/{self.database}",
            "REDIS_URL": setup.REDIS,
            "CHANNEL_LAYER_PREFIX": f"parley-bench-{os.getpid()}",
            "SECRET_KEY": setup.SECRET_KEY,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PARLEY_HOST": HOST,
            "PARLEY_PORT": str(self.port),
            "WEB_CONCURRENCY": str(self.processes_wanted),
            # The flood limits measure nothing here; unknown settings are harmless.
            "CHAT_RATE_LIMIT": "0",
            "CHAT_FRAME_LIMIT": "0",
            "CHAT_MAX_SOCKETS_PER_USER": "0",
        }

    def prepare(self, sockets: int) -> None:
        super().prepare(sockets)
        setup.django_migrate(self.env())
        self.sessions = setup.seed_parley(self.env(), sockets)

    def command(self) -> list[str]:
        return ["/bin/sh", "-c", self.shell_command]

    def describe(self) -> str:
        return f"{self.shell_command}  (WEB_CONCURRENCY={self.processes_wanted})"

    def headers(self, socket: int) -> Mapping[str, str]:
        return {"Cookie": f"sessionid={self.sessions[socket]}"}

    def stored_query(self) -> str:
        return (
            "SELECT m.client_id, m.seq FROM chat_message m JOIN chat_room r ON r.id = m.room_id"
            f" WHERE r.slug = '{setup.ROOM}' AND m.client_id = ANY(%s)"
        )


class Tutorial(Server):
    name = "tutorial"
    database = f"{setup.DATABASE_PREFIX}_tutorial"
    peer_class = TutorialPeer

    def env(self) -> dict[str, str]:
        return {
            **setup.BASE_ENV,
            "DJANGO_SETTINGS_MODULE": "bench.load.tutorial.settings",
            "TUTORIAL_DATABASE_URL": f"{setup.POSTGRES}/{self.database}",
            "TUTORIAL_REDIS_URL": setup.REDIS,
            "TUTORIAL_CHANNEL_PREFIX": f"tutorial-bench-{os.getpid()}",
        }

    def prepare(self, sockets: int) -> None:
        super().prepare(sockets)
        setup.django_migrate(self.env())

    def command(self) -> list[str]:
        application = "bench.load.tutorial.asgi:application"
        return [str(setup.BIN / "daphne"), "-b", HOST, "-p", str(self.port), application]

    def stored_query(self) -> str:
        return (
            f"SELECT body, id FROM tutorial_message WHERE room = '{setup.ROOM}' AND body = ANY(%s)"
        )


class Handwritten(Server):
    name = "handwritten"
    database = f"{setup.DATABASE_PREFIX}_handwritten"
    peer_class = HandwrittenPeer

    def command(self) -> list[str]:
        database = f"{setup.POSTGRES}/{self.database}"
        module = "bench.load.handwritten"
        return [sys.executable, "-m", module, "--port", str(self.port), "--database", database]

    def stored_query(self) -> str:
        return "SELECT client_id, id FROM message WHERE client_id = ANY(%s)"


REFERENCES: dict[str, type[Server]] = {"tutorial": Tutorial, "handwritten": Handwritten}
