"""Tests against the web process itself: project.serve (uvicorn) in a subprocess, over the
test database, and a WebSocket client that reads only when told to.

What only the real server shows: its frame-size limit, the close codes it can send, its log,
and its memory while a client misbehaves. The `serve` fixture in tests/conftest.py starts one.
"""

from __future__ import annotations

import os
import select
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import connections
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri

from tests.browser.server import LiveServer


def test_database_url() -> str:
    """The URL of the database pytest-django created, for a server process to use."""
    db = connections["default"].settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    at = f"{credentials}@" if credentials else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{at}{host}:{port}/{quote(db['NAME'], safe='')}"


test_database_url.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


# What makes tests/settings.py give a process the run's (and the xdist worker's) database and
# channel-layer prefix: a server process the tests start drops them and keeps the prefix it
# is given.
RUN_VARIABLES = ("PARLEY_TEST_RUN", "PYTEST_XDIST_WORKER")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(prefix: str, **overrides: str) -> dict[str, str]:
    """The environment of a web process over the test database, with a channel-layer prefix
    of its own so no other run's rooms (same pks) or counters reach it."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "CHANNEL_LAYER_PREFIX": prefix,
        "PYTHONUNBUFFERED": "1",
        # A busy test machine must not turn a slow first connection into a 1013.
        "DATABASE_POOL_TIMEOUT": "10",
        **overrides,
    }
    # tests/settings.py would otherwise replace the prefix with the run's.
    for name in RUN_VARIABLES:
        env.pop(name, None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def start_server(log_path: Path, **overrides: str) -> LiveServer:
    prefix = f"parley-live-{os.getpid()}-{time.monotonic_ns()}"
    server = LiveServer(free_port(), server_env(prefix, **overrides), log_path)
    server.start()
    return server


def vm_rss_kib(pid: int) -> int:
    """The resident memory of a process, in KiB, as the kernel counts it."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


class RawSocket:
    """A WebSocket client on a plain socket that reads only when told to, so a test can be
    the client that sends and never reads. Its receive buffer is small, so the server's
    frames back up in the server, not in this socket."""

    def __init__(self, url: str, cookie: str | None = None, receive_buffer: int = 4096) -> None:
        parts = urlsplit(url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.connect((parts.hostname, parts.port))
        origin = Origin(f"http://{parts.hostname}:{parts.port}")
        self.protocol = ClientProtocol(parse_uri(url), origin=origin, max_size=None)
        request = self.protocol.connect()
        if cookie:
            request.headers["Cookie"] = cookie
        self.protocol.send_request(request)
        self._flush()
        self.frames: list[Frame] = []
        self.response: Response | None = None
        self._read_until(lambda: self.response is not None, timeout=10)

    def send_text(self, text: str) -> None:
        self.protocol.send_text(text.encode())
        self._flush()

    def read_until_closed(self, timeout: float) -> int | None:
        """Read everything the server sends until it closes; its close code (None if it did
        not close in time)."""
        self._read_until(lambda: self.protocol.state is State.CLOSED, timeout)
        close = self.protocol.close_rcvd
        return close.code if close is not None else None

    def texts(self) -> list[str]:
        return [frame.data.decode() for frame in self.frames if frame.opcode is Opcode.TEXT]

    def close(self) -> None:
        self.sock.close()

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                try:
                    self.sock.sendall(data)
                except ConnectionError:
                    return  # the server closed first: what it sent is still read

    def _read_until(self, done: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            ready, _, _ = select.select([self.sock], [], [], remaining)
            if not ready:
                return
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                # The server closed the TCP connection hard (say, as our reply to its close
                # reached a socket it had closed): what it sent before is already parsed.
                data = b""
            if data:
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            for event in self.protocol.events_received():
                if isinstance(event, Response):
                    self.response = event
                else:
                    self.frames.append(event)
            self._flush()  # pongs, and the reply to a close
            if not data:
                return
