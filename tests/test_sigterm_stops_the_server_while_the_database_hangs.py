"""A database that takes connections and then never answers (a hung server, or a proxy in
front of a dead one) must not keep a server from stopping: a send is answered `unavailable`,
and SIGTERM still ends the process within its shutdown time, though the save's connection
attempt is stuck in the middle of its handshake."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import session_cookie
from tests.processes import Processes
from tests.real_server import test_database_url
from tests.room_client import RoomSocket

pytestmark = pytest.mark.django_db(transaction=True)

SHUTDOWN_SECONDS = 3
# What stopping may take beyond the shutdown time: closing sockets and the interpreter.
MARGIN_SECONDS = 7


class HangingDatabase:
    """A TCP proxy to PostgreSQL that, once hung, cuts the connections it carries and takes
    new ones without ever answering them."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.hung = threading.Event()
        self.carried: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.carried.append(client)
            if self.hung.is_set():
                continue  # taken, never answered
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.carried.append(server)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def hang(self) -> None:
        self.hung.set()
        with self.lock:
            for carried in self.carried:
                with contextlib.suppress(OSError):
                    carried.shutdown(socket.SHUT_RDWR)
            self.carried.clear()

    def close(self) -> None:
        self.listener.close()
        self.hang()


def test_sigterm_stops_the_server_while_a_save_is_stuck_connecting(alice, room, tmp_path):
    url = urlsplit(test_database_url())
    database = HangingDatabase((url.hostname or "127.0.0.1", url.port or 5432))
    through_proxy = urlunsplit(url._replace(netloc=f"{url.username}@127.0.0.1:{database.port}"))
    cookie = session_cookie(alice)
    try:
        with Processes(tmp_path) as processes:
            [server] = processes.parley(
                DATABASE_URL=through_proxy,
                WEB_SHUTDOWN_SECONDS=str(SHUTDOWN_SECONDS),
                DATABASE_POOL_TIMEOUT="2",
            )

            async def send_while_hung() -> list[dict]:
                socket = await RoomSocket.open(server.ws_url, "general", cookie)
                assert (await socket.send_message("before", "c-1"))["type"] == "ack"
                database.hang()
                # The first finds its connection cut; the second waits for a new one, whose
                # handshake never ends.
                answers = [
                    await socket.send_message("during", "c-2"),
                    await socket.send_message("still", "c-3"),
                ]
                await socket.close()
                return answers

            answers = asyncio.run(send_while_hung())
            assert [(a["type"], a["code"]) for a in answers] == [("error", "unavailable")] * 2

            server.terminate()
            status = server.wait_exited(timeout=SHUTDOWN_SECONDS + MARGIN_SECONDS)
            assert status == -signal.SIGTERM
            assert "Finished server process" in server.output()
    finally:
        database.close()
