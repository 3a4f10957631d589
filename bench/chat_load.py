"""Load benchmark: the chat as deployed (daphne, PostgreSQL, Redis) driven over real WebSockets.

    .venv/bin/python bench/chat_load.py [--repeat 3] [--scenarios throughput,fanout] ...

It creates its own database, parley_bench_load, on the PostgreSQL server at BENCH_POSTGRES
(default postgres://postgres@127.0.0.1:5432), migrates it, seeds one user and session per
socket and a room, then starts daphne the way the Procfile does, on a free port, with that
database and the Redis at BENCH_REDIS (default redis://127.0.0.1:6379/0) under a channel-layer
prefix of its own. Every socket is a real signed-in WebSocket from this process (the
`websockets` client, session cookie and Origin header as a browser sends them). At the end
daphne is stopped and the database dropped.

The scenarios are the rows of the "Performance" table in the roadmap:

- idle: daphne's resident memory before and after opening N idle signed-in sockets.
- throughput: S senders send as fast as the protocol allows (the next send once the ack
  is in; then pipelined, up to W unacked each) into a room with L listeners. Committed
  messages/s (acks), deliveries/s to the listeners, and the seqs some listener never got.
- fanout: one sender paced at R msgs/s into a room with L listeners. The share of
  deliveries that arrived by the end of the run plus a grace period, and the latency from
  the send to each listener's receipt (one machine, one monotonic clock).
- big: the same with 1,000 listeners at 10 msgs/s.

During each measured window it also reads the CPU time of daphne, of the PostgreSQL
backends of the bench database, of redis-server, of this load generator and of the whole
machine from /proc, which says where the time goes. Results are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import dataclasses
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
DATABASE = "parley_bench_load"
SECRET_KEY = "bench"
ROOM = "bench"
SCENARIOS = ("idle", "throughput", "fanout", "big")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Sockets opened at once: daphne answers each handshake after four queries on its single
# database thread, so a larger burst only queues there.
CONNECT_CONCURRENCY = 50
T = TypeVar("T")


# Setup: database, users and sessions, the server.


def server_env() -> dict[str, str]:
    """The environment of daphne, of `manage.py migrate` and of the seeding below."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DATABASE_URL=f"{SERVER}/{DATABASE}",
        REDIS_URL=REDIS,
        CHANNEL_LAYER_PREFIX=f"parley-bench-{os.getpid()}",
        SECRET_KEY=SECRET_KEY,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    return env


def recreate_database() -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database() -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def migrate() -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=server_env(),
        check=True,
    )


def seed(users: int) -> list[str]:
    """Users bench0..bench<users-1>, a signed-in session for each, and the room.

    Returns the session keys, one per user. Passwords are unusable (hashing thousands would
    take minutes) and sessions are written in bulk, encoded as Django's login writes them.
    """
    os.environ.update(server_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from chat.models import Room

    user_model = get_user_model()
    password = make_password(None)
    people = user_model.objects.bulk_create(
        [
            user_model(username=f"bench{i}", email=f"bench{i}@example.com", password=password)
            for i in range(users)
        ],
        batch_size=1000,
    )
    Room.objects.create(name="Bench", slug=ROOM, created_by=people[0])
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    sessions = [
        Session(
            session_key=get_random_string(32, VALID_KEY_CHARS),
            session_data=store.encode(
                {
                    SESSION_KEY: str(person.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: person.get_session_auth_hash(),
                }
            ),
            expire_date=expires,
        )
        for person in people
    ]
    Session.objects.bulk_create(sessions, batch_size=1000)
    connection.close()
    connection.close_pool()
    return [session.session_key for session in sessions]


def die_with_parent() -> None:
    """In the child before exec: SIGTERM it if the bench dies, so no daphne outlives it."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Daphne:
    """daphne as the Procfile runs it, in a subprocess with the bench environment."""

    def __init__(self) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix="parley-bench-daphne-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(
            [BIN / "daphne", "-b", "127.0.0.1", "-p", str(self.port), "project.asgi:application"],
            cwd=ROOT,
            env=server_env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        self.pid = self.process.pid

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat/{ROOM}/"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}:\n{self.tail()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return
        raise RuntimeError(f"daphne did not listen within {within:.0f} s:\n{self.tail()}")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS for daphne")

    def tail(self, lines: int = 30) -> str:
        text = Path(self.log.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, keep_log: bool) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        if keep_log:
            print(f"daphne's log: {self.log.name}\n{self.tail()}", file=sys.stderr)
        else:
            Path(self.log.name).unlink(missing_ok=True)


# Where the time goes: CPU seconds from /proc over a measured window.


def process_cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


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


@dataclass(frozen=True)
class Cpu:
    """CPU used during a measured window, in % of one core (the machine total is of all)."""

    daphne: float
    postgres: float
    redis: float
    client: float
    machine: float  # of all cores: up to 100 x nproc

    @property
    def other(self) -> float:
        """Everything else: other programs on the machine, and the kernel's network work."""
        return self.machine - self.daphne - self.postgres - self.redis - self.client

    def line(self) -> str:
        return (
            f"CPU daphne {self.daphne:.0f}%, postgres {self.postgres:.0f}%,"
            f" redis {self.redis:.0f}%, load generator {self.client:.0f}%,"
            f" other {self.other:.0f}%"
        )


class CpuMeter:
    """CPU time of daphne, the bench database's backends, redis-server, this process and the
    whole machine between start() and stop()."""

    def __init__(self, daphne_pid: int) -> None:
        self.daphne_pid = daphne_pid
        self.redis_pid = find_redis_pid()
        self.admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
        self.begin: dict[str, float] = {}
        self.backends: dict[int, float] = {}
        self.started = 0.0

    def postgres_backends(self) -> dict[int, float]:
        rows = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [DATABASE]
        ).fetchall()
        return {pid: process_cpu_seconds(pid) for (pid,) in rows}

    def sample(self) -> dict[str, float]:
        return {
            "daphne": process_cpu_seconds(self.daphne_pid),
            "redis": process_cpu_seconds(self.redis_pid) if self.redis_pid else 0.0,
            "client": time.process_time(),
            "machine": machine_busy_seconds(),
        }

    def start(self) -> None:
        self.backends = self.postgres_backends()
        self.begin = self.sample()
        self.started = time.monotonic()

    def stop(self) -> Cpu:
        end = self.sample()
        wall = time.monotonic() - self.started
        backends = self.postgres_backends()
        postgres = sum(seconds - self.backends.get(pid, 0.0) for pid, seconds in backends.items())
        share = {name: 100 * (end[name] - self.begin[name]) / wall for name in end}
        return Cpu(postgres=100 * postgres / wall, **share)

    async def settle(self, below: float = 10.0, within: float = 30.0) -> None:
        """Wait until daphne is nearly idle, so one scenario's backlog does not bill the next."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            before = process_cpu_seconds(self.daphne_pid)
            await asyncio.sleep(0.5)
            if 100 * (process_cpu_seconds(self.daphne_pid) - before) / 0.5 < below:
                return

    def close(self) -> None:
        self.admin.close()


class Profiler:
    """py-spy recording daphne during each measured window, when --profile-dir is given."""

    def __init__(self, directory: Path | None, pid: int) -> None:
        self.directory = directory
        self.pid = pid
        self.process: subprocess.Popen[bytes] | None = None
        self.executable = shutil.which("py-spy") or os.environ.get("BENCH_PY_SPY", "")
        if directory is not None:
            if not self.executable:
                raise SystemExit("--profile-dir needs py-spy on PATH or BENCH_PY_SPY")
            directory.mkdir(parents=True, exist_ok=True)

    def start(self, name: str) -> None:
        if self.directory is None:
            return
        output = self.directory / f"{name}.txt"
        command = [self.executable, "record", "--pid", str(self.pid), "--rate", "200"]
        self.process = subprocess.Popen(
            [*command, "--nonblocking", "--format", "raw", "--output", str(output)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
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


# The client side.


class Peer:
    """One signed-in socket in the room, recording what it receives and when."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: dict[str, float] = {}  # client_id -> time the message arrived
        self.seqs: set[int] = set()
        self.sent: dict[str, float] = {}  # client_id -> time sent (senders only)
        self.acks: dict[str, tuple[int, float]] = {}  # client_id -> (seq, time acked)
        self.errors: list[dict[str, Any]] = []
        self.unacked: asyncio.Semaphore | None = None
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.monotonic()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message":
                    message = frame["message"]
                    self.received[message["client_id"]] = now
                    self.seqs.add(message["seq"])
                elif kind == "ack":
                    self.acks[frame["client_id"]] = (frame["seq"], now)
                    if self.unacked is not None:
                        self.unacked.release()
                elif kind == "error":
                    self.errors.append(frame)
                    if self.unacked is not None and frame.get("client_id"):
                        self.unacked.release()
        except ConnectionClosed:
            pass

    async def send(self, client_id: str) -> None:
        self.sent[client_id] = time.monotonic()
        frame = {"type": "message.send", "body": f"bench {client_id}", "client_id": client_id}
        await self.ws.send(json.dumps(frame))

    def reset(self) -> None:
        self.received.clear()
        self.seqs.clear()
        self.sent.clear()
        self.acks.clear()
        self.errors.clear()

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code if self.reader.done() else None

    async def close(self) -> None:
        await self.ws.close()
        await self.reader


async def open_peers(daphne: Daphne, sessions: Sequence[str]) -> list[Peer]:
    """Sign in one socket per session key and check that the server let each one in."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(key: str) -> Peer:
        async with gate:
            ws = await connect(
                daphne.url,
                origin=Origin(daphne.origin),
                additional_headers={"Cookie": f"sessionid={key}"},
                open_timeout=120,
            )
            return Peer(ws)

    peers = await asyncio.gather(*(one(key) for key in sessions))
    await asyncio.sleep(0.2)  # a refusal is an accept followed at once by a close
    refused = [peer.close_code for peer in peers if peer.close_code is not None]
    if refused:
        await close_peers(peers)
        raise RuntimeError(f"{len(refused)} sockets were refused, close codes {set(refused)}")
    return peers


async def close_peers(peers: Sequence[Peer]) -> None:
    """Close the sockets, first saying if the server had closed any of them."""
    dropped = [peer.close_code for peer in peers if peer.reader.done()]
    if dropped:
        print(f"  ! the server closed {len(dropped)} sockets: {set(dropped)}", file=sys.stderr)
    await asyncio.gather(*(peer.close() for peer in peers), return_exceptions=True)


async def wait_until(done: Callable[[], bool], within: float, interval: float = 0.05) -> bool:
    """Poll `done` until it holds (True) or `within` seconds have passed (False)."""
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)
    return True


async def warm_up(sender: Peer, listeners: Sequence[Peer], tag: str, count: int = 5) -> None:
    """A few sends through every stage (pool, thread, layer) before anything is measured; then
    the records are cleared."""
    for n in range(count):
        client_id = f"{tag}-warm{n}"
        await sender.send(client_id)
        await wait_until(lambda client_id=client_id: client_id in sender.acks, 30)
    last = f"{tag}-warm{count - 1}"
    if not await wait_until(lambda: all(last in peer.received for peer in listeners), 60):
        raise RuntimeError("warm-up messages did not reach every listener within 60 s")
    for peer in (sender, *listeners):
        peer.reset()


def report_errors(senders: Sequence[Peer]) -> None:
    codes = [frame.get("code") for sender in senders for frame in sender.errors]
    if codes:
        print(f"  ! {len(codes)} error frames: {set(codes)}", file=sys.stderr)


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values; inf stands for a delivery that never came."""
    if not ordered:
        return math.nan
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Idle:
    sockets: int
    before_kib: float
    after_kib: float
    connect_seconds: float  # to open them all, CONNECT_CONCURRENCY at a time

    @property
    def per_socket_kib(self) -> float:
        return (self.after_kib - self.before_kib) / self.sockets

    def line(self) -> str:
        return (
            f"RSS {self.before_kib / 1024:.1f} -> {self.after_kib / 1024:.1f} MiB,"
            f" {self.per_socket_kib:.1f} KiB per socket;"
            f" {self.sockets / self.connect_seconds:.0f} sockets opened per second"
        )


@dataclass(frozen=True)
class Throughput:
    window: int  # sends a sender may have unacked
    committed_per_second: float
    deliveries_per_second: float
    committed: int
    missing: int  # (listener, seq) pairs committed but never delivered by the end of grace
    ack_p50_ms: float
    ack_p99_ms: float
    cpu: Cpu

    def line(self) -> str:
        return (
            f"{self.committed_per_second:.0f} msgs/s, {self.deliveries_per_second:.0f}"
            f" deliveries/s, {self.missing} missing, ack p50 {self.ack_p50_ms:.0f} ms;"
            f" {self.cpu.line()}"
        )


@dataclass(frozen=True)
class FanOut:
    listeners: int
    offered_per_second: float  # as achieved by the paced sender
    sent: int
    delivered_percent: float
    deliveries_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    slowest_ms: float  # of the deliveries that did arrive: how far behind the room fell
    cpu: Cpu

    def line(self) -> str:
        return (
            f"{self.delivered_percent:.1f}% delivered, {self.deliveries_per_second:.0f}"
            f" deliveries/s, p50 {ms(self.p50_ms)}, p99 {ms(self.p99_ms)},"
            f" slowest delivered {ms(self.slowest_ms)};"
            f" {self.cpu.line()}"
        )


async def measure_idle(daphne: Daphne, sessions: Sequence[str]) -> Idle:
    """Resident memory per idle signed-in socket: RSS before and after opening them."""
    first = await open_peers(daphne, sessions[:1])  # so code paths and pools are warm
    await asyncio.sleep(1)
    before = daphne.rss_kib()
    start = time.monotonic()
    peers = await open_peers(daphne, sessions[1:])
    connect_seconds = time.monotonic() - start
    await asyncio.sleep(3)
    after = daphne.rss_kib()
    await close_peers([*first, *peers])
    return Idle(len(peers), before, after, connect_seconds)


async def measure_throughput(
    senders: Sequence[Peer],
    listeners: Sequence[Peer],
    *,
    seconds: float,
    window: int,
    grace: float,
    tag: str,
    meter: CpuMeter,
    profiler: Profiler,
) -> Throughput:
    """Each sender keeps up to `window` sends unacked for `seconds`; see the module doc."""
    for n, sender in enumerate(senders):
        await warm_up(sender, listeners, f"{tag}s{n}")
    for peer in (*senders, *listeners):
        peer.reset()

    async def send_until(sender: Peer, prefix: str, deadline: float) -> None:
        sender.unacked = asyncio.Semaphore(window)
        n = 0
        while (left := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(sender.unacked.acquire(), left)
            except TimeoutError:
                break
            await sender.send(f"{prefix}-{n}")
            n += 1

    profiler.start(f"throughput-w{window}")
    meter.start()
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(
        *(send_until(sender, f"{tag}s{n}", deadline) for n, sender in enumerate(senders))
    )
    cpu = meter.stop()
    profiler.stop()
    for sender in senders:
        sender.unacked = None

    def all_acked() -> bool:
        return all(len(sender.acks) + len(sender.errors) >= len(sender.sent) for sender in senders)

    await wait_until(all_acked, 30)
    seqs = {seq for sender in senders for seq, _ in sender.acks.values()}
    committed = sum(
        1 for sender in senders for _, acked in sender.acks.values() if acked <= deadline
    )
    delivered = sum(
        1 for peer in listeners for arrived in peer.received.values() if arrived <= deadline
    )
    await wait_until(lambda: all(seqs <= peer.seqs for peer in listeners), grace)
    ack_latencies = sorted(
        acked - sender.sent[client_id]
        for sender in senders
        for client_id, (_, acked) in sender.acks.items()
    )
    report_errors(senders)
    return Throughput(
        window=window,
        committed_per_second=committed / seconds,
        deliveries_per_second=delivered / seconds,
        committed=len(seqs),
        missing=sum(len(seqs - peer.seqs) for peer in listeners),
        ack_p50_ms=1000 * percentile(ack_latencies, 50),
        ack_p99_ms=1000 * percentile(ack_latencies, 99),
        cpu=cpu,
    )


async def measure_fan_out(
    sender: Peer,
    listeners: Sequence[Peer],
    *,
    rate: float,
    seconds: float,
    grace: float,
    tag: str,
    meter: CpuMeter,
    profiler: Profiler,
    name: str,
) -> FanOut:
    """One sender paced at `rate` for `seconds`, acks not awaited; then up to `grace` seconds
    for the deliveries to finish. Latency is from the send to each listener's receipt."""
    await warm_up(sender, listeners, tag)
    count = round(rate * seconds)
    expected = count * len(listeners)
    profiler.start(name)
    meter.start()
    start = time.monotonic()
    for n in range(count):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await sender.send(f"{tag}-{n}")
    last_send = time.monotonic()
    await wait_until(lambda: sum(len(peer.received) for peer in listeners) >= expected, grace, 0.1)
    cpu = meter.stop()
    profiler.stop()
    report_errors([sender])
    latencies = sorted(
        peer.received[client_id] - sent if client_id in peer.received else math.inf
        for peer in listeners
        for client_id, sent in sender.sent.items()
    )
    delivered = sum(1 for latency in latencies if latency != math.inf)
    arrivals = [arrived for peer in listeners for arrived in peer.received.values()]
    span = (max(arrivals) - start) if arrivals else math.nan
    return FanOut(
        listeners=len(listeners),
        offered_per_second=(count - 1) / (last_send - start) if count > 1 else math.nan,
        sent=count,
        delivered_percent=100 * delivered / expected,
        deliveries_per_second=delivered / span,
        p50_ms=1000 * percentile(latencies, 50),
        p95_ms=1000 * percentile(latencies, 95),
        p99_ms=1000 * percentile(latencies, 99),
        slowest_ms=1000 * max((latency for latency in latencies if latency != math.inf), default=0),
        cpu=cpu,
    )


def median_of(results: Sequence[T]) -> T:
    """Field by field median of several runs' results (nested dataclasses too)."""
    first = results[0]
    if isinstance(first, int):
        return statistics.median_low(results)  # type: ignore[return-value]
    if not dataclasses.is_dataclass(first):
        return statistics.median(results)  # type: ignore[arg-type, return-value]
    values = {
        field.name: median_of([getattr(result, field.name) for result in results])
        for field in dataclasses.fields(first)
    }
    return type(first)(**values)  # type: ignore[return-value]


# Reporting.


def machine() -> list[str]:
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    with psycopg.connect(f"{SERVER}/postgres") as admin:
        postgres = admin.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    with redis.Redis.from_url(REDIS) as client:
        redis_version = client.info("server")["redis_version"]
    return [
        f"- CPU: {os.cpu_count()} x {cpu_model}, {int(memory) // 1024**2} GiB RAM,"
        f" load average at start {os.getloadavg()[0]:.2f}",
        f"- PostgreSQL {postgres}, Redis {redis_version}, Python {platform.python_version()},"
        f" Django {metadata.version('Django')}, Channels {metadata.version('channels')},"
        f" channels-redis {metadata.version('channels-redis')},"
        f" daphne {metadata.version('daphne')}, websockets {metadata.version('websockets')}",
    ]


def ms(value: float) -> str:
    return "lost" if value == math.inf else f"{value:,.0f} ms"


def spread(values: Sequence[float], digits: int = 0, unit: str = "") -> str:
    """The median, with the range when there were several runs; inf reads "lost"."""

    def show(value: float) -> str:
        return "lost" if value == math.inf else f"{value:,.{digits}f}{unit}"

    middle = show(statistics.median(values))
    if min(values) == max(values):
        return middle
    return f"{middle} ({show(min(values))} to {show(max(values))})"


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def report(options: argparse.Namespace, results: dict[str, list[Any]]) -> str:
    """The results as Markdown: a table per kind of scenario, the CPU split, the targets."""
    runs = f"median of {options.repeat} runs (range)" if options.repeat > 1 else "one run"
    lines = [f"### Results, {runs}", ""]
    idle: list[Idle] = results["idle"]
    if idle:
        middle = median_of(idle)
        lines += [
            "| idle signed-in sockets | daphne RSS before | after | per socket"
            " | sockets opened/s |",
            "| ---: | ---: | ---: | ---: | ---: |",
            f"| {idle[0].sockets:,} | {middle.before_kib / 1024:.1f} MiB"
            f" | {middle.after_kib / 1024:.1f} MiB"
            f" | {spread([run.per_socket_kib for run in idle], 1, ' KiB')}"
            f" | {middle.sockets / middle.connect_seconds:.0f} |",
            "",
        ]
    throughput: dict[int, list[Throughput]] = {}
    for run in results["throughput"]:
        throughput.setdefault(run.window, []).append(run)
    if throughput:
        lines += [
            f"Throughput: {options.senders} senders as fast as acks allow,"
            f" {options.listeners} listeners, {options.seconds:g} s:",
            "",
            "| unacked per sender | msgs/s committed | deliveries/s to listeners"
            " | missing deliveries (worst run) | ack p50 ms | ack p99 ms |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for window, runs_of in throughput.items():
            middle = median_of(runs_of)
            lines.append(
                f"| {window} | {spread([run.committed_per_second for run in runs_of])}"
                f" | {spread([run.deliveries_per_second for run in runs_of])}"
                f" | {max(run.missing for run in runs_of)}"
                f" | {middle.ack_p50_ms:,.0f} | {middle.ack_p99_ms:,.0f} |"
            )
        lines.append("")
    fan_outs: dict[str, list[FanOut]] = {
        name: results[name] for name in ("fanout", "big") if results[name]
    }
    if fan_outs:
        lines += [
            f"Fan-out: one sender paced at the offered rate, then up to {options.grace:g} s"
            " for late deliveries; latency from send to each listener's receipt:",
            "",
            "| listeners | msgs/s offered | msgs | delivered | deliveries/s"
            " | p50 | p95 | p99 | slowest delivered |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for runs_of in fan_outs.values():
            middle = median_of(runs_of)
            lines.append(
                f"| {middle.listeners:,} | {middle.offered_per_second:.1f} | {middle.sent:,}"
                f" | {spread([run.delivered_percent for run in runs_of], 1, '%')}"
                f" | {spread([run.deliveries_per_second for run in runs_of])}"
                f" | {ms(middle.p50_ms)} | {ms(middle.p95_ms)}"
                f" | {spread([run.p99_ms for run in runs_of], unit=' ms')}"
                f" | {ms(middle.slowest_ms)} |"
            )
        lines.append("")
    cpu_rows = [
        (f"throughput, {window} unacked", median_of(runs_of).cpu)
        for window, runs_of in throughput.items()
    ] + [
        (f"{name}, {runs_of[0].listeners:,} listeners", median_of(runs_of).cpu)
        for name, runs_of in fan_outs.items()
    ]
    if cpu_rows:
        lines += [
            f"CPU in each measured window, % of one core (the machine has {os.cpu_count()}):",
            "",
            "| scenario | daphne | postgres | redis | load generator | other | machine |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {name} | {cpu.daphne:.0f} | {cpu.postgres:.0f} | {cpu.redis:.0f}"
            f" | {cpu.client:.0f} | {cpu.other:.0f} | {cpu.machine:.0f} |"
            for name, cpu in cpu_rows
        ]
        lines.append("")
    lines += [
        "Against the roadmap's targets:",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
    ]
    if throughput:
        best = max(median_of(runs_of).committed_per_second for runs_of in throughput.values())
        lines.append(
            f"| >= 300 msgs/s, {options.senders} senders, {options.listeners} listeners"
            f" | {best:,.0f} msgs/s | {verdict(best >= 300)} |"
        )
    if "fanout" in fan_outs:
        middle = median_of(fan_outs["fanout"])
        lines.append(
            f"| {middle.listeners:,} listeners at {middle.offered_per_second:.0f} msgs/s:"
            " 100% delivered, p99 <= 200 ms"
            f" | {middle.delivered_percent:.1f}%, p99 {ms(middle.p99_ms)}"
            f" | {verdict(middle.delivered_percent == 100 and middle.p99_ms <= 200)} |"
        )
    if "big" in fan_outs:
        middle = median_of(fan_outs["big"])
        lines.append(
            f"| {middle.listeners:,} listeners at {middle.offered_per_second:.0f} msgs/s:"
            " p99 <= 1 s"
            f" | {middle.delivered_percent:.1f}%, p99 {ms(middle.p99_ms)}"
            f" | {verdict(middle.p99_ms <= 1000)} |"
        )
    if idle:
        per_socket = median_of(idle).per_socket_kib
        lines.append(
            f"| idle signed-in sockets under 50 KB each (5,000 per process)"
            f" | {per_socket * 1.024:.1f} KB each with {idle[0].sockets:,}"
            f" | {verdict(per_socket * 1.024 < 50)} |"
        )
    return "\n".join(lines)


# The run.


async def drive(options: argparse.Namespace, sessions: list[str]) -> dict[str, list[Any]]:
    """Start daphne, run the chosen scenarios against it, and stop it whatever happens."""
    # SIGTERM cancels the run like Ctrl-C does, so the finally clauses clean up.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    daphne = Daphne()
    meter: CpuMeter | None = None
    profiler = Profiler(options.profile_dir, daphne.pid)
    results: dict[str, list[Any]] = {name: [] for name in SCENARIOS}
    failed = True
    try:
        await daphne.ready()
        meter = CpuMeter(daphne.pid)
        scenarios = options.scenarios
        # Idle memory first, on a fresh process: after other scenarios, memory they freed
        # would be reused by the new sockets and hide their cost.
        if "idle" in scenarios:
            print(f"idle: {options.idle_sockets:,} sockets", flush=True)
            idle = await measure_idle(daphne, sessions[: options.idle_sockets + 1])
            print(f"  {idle.line()}", flush=True)
            results["idle"].append(idle)
            await meter.settle()
        if "throughput" in scenarios:
            print(f"throughput: {options.senders} senders, {options.listeners} listeners")
            peers = await open_peers(daphne, sessions[: options.senders + options.listeners])
            senders, listeners = peers[: options.senders], peers[options.senders :]
            for run in range(options.repeat):
                for window in (1, options.window):
                    result = await measure_throughput(
                        senders,
                        listeners,
                        seconds=options.seconds,
                        window=window,
                        grace=options.grace,
                        tag=f"t{run}w{window}",
                        meter=meter,
                        profiler=profiler,
                    )
                    print(f"  run {run + 1}, {window} unacked: {result.line()}", flush=True)
                    results["throughput"].append(result)
            await close_peers(peers)
            await meter.settle()
        for name, listeners_count, rate, seconds in (
            ("fanout", options.fanout_listeners, options.fanout_rate, options.fanout_seconds),
            ("big", options.big_listeners, options.big_rate, options.big_seconds),
        ):
            if name not in scenarios:
                continue
            print(f"{name}: {listeners_count:,} listeners, {rate:g} msgs/s", flush=True)
            for run in range(options.repeat):
                # Fresh sockets each run: a backlog the last run left queued stays behind.
                peers = await open_peers(daphne, sessions[: listeners_count + 1])
                result = await measure_fan_out(
                    peers[0],
                    peers[1:],
                    rate=rate,
                    seconds=seconds,
                    grace=options.grace,
                    tag=f"{name}{run}",
                    meter=meter,
                    profiler=profiler,
                    name=name,
                )
                print(f"  run {run + 1}: {result.line()}", flush=True)
                results[name].append(result)
                await close_peers(peers)
                await meter.settle()
        failed = False
    except asyncio.CancelledError:
        failed = False  # interrupted, not broken: daphne's log says nothing useful
        raise
    finally:
        profiler.stop()
        if meter is not None:
            meter.close()
        daphne.stop(keep_log=failed)
    return results


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        type=lambda text: [name for name in text.split(",") if name],
        help=f"comma-separated, of {', '.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each scenario but idle (which runs once)"
    )
    parser.add_argument("--senders", type=int, default=4, help="throughput: senders")
    parser.add_argument("--listeners", type=int, default=20, help="throughput: listeners")
    parser.add_argument("--seconds", type=float, default=20.0, help="per throughput variant")
    parser.add_argument("--window", type=int, default=10, help="unacked sends when pipelined")
    parser.add_argument("--fanout-listeners", type=int, default=200, help="fanout: listeners")
    parser.add_argument("--fanout-rate", type=float, default=50.0, help="fanout: msgs/s")
    parser.add_argument("--fanout-seconds", type=float, default=30.0, help="fanout: sending")
    parser.add_argument("--big-listeners", type=int, default=1000, help="big: listeners")
    parser.add_argument("--big-rate", type=float, default=10.0, help="big: msgs/s")
    parser.add_argument("--big-seconds", type=float, default=20.0, help="big: sending")
    parser.add_argument("--idle-sockets", type=int, default=1000, help="idle: sockets")
    parser.add_argument(
        "--grace", type=float, default=10.0, help="seconds to wait for late deliveries"
    )
    parser.add_argument(
        "--profile-dir",
        type=Path,
        help="record daphne with py-spy (raw stacks) during each measured window",
    )
    options = parser.parse_args()
    unknown = set(options.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if options.window < 2:
        parser.error("--window is the pipelined variant: at least 2")
    return options


def exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def main() -> None:
    options = parse_options()
    # One descriptor per socket on each side; daphne inherits the raised limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # Outside the event loop SIGTERM unwinds like Ctrl-C, through the cleanup below.
    signal.signal(signal.SIGTERM, exit_on_signal)
    began = time.monotonic()
    header = machine()
    print("\n".join(header), flush=True)
    users = 1 + max(
        options.senders + options.listeners,
        options.fanout_listeners,
        options.big_listeners,
        options.idle_sockets,
    )
    recreate_database()
    try:
        migrate()
        sessions = seed(users)
        results = asyncio.run(drive(options, sessions))
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit("interrupted: daphne stopped, database dropped")
    finally:
        signal.signal(signal.SIGTERM, exit_on_signal)  # the loop reset it on closing
        drop_database()
    header.append(f"- wall time {time.monotonic() - began:.0f} s")
    print("", *header, "", report(options, results), sep="\n")


if __name__ == "__main__":
    main()
