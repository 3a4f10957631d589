"""Real processes for the operations tests: Parley web servers (project/serve.py), Redis
servers and nginx (docs/nginx.conf.template), each on a free port of its own.

A `Processes` set starts them and, on leaving its `with` block, stops whatever is still
running, so a failing test leaves nothing behind. Every Parley server of a set uses the
test database and a channel-layer prefix of the set's own, so rooms with the same pks in
another test or test run never reach its sockets.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from string import Template

from django.conf import settings

from tests.real_server import RUN_VARIABLES, free_port, test_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = BASE_DIR / "docs" / "nginx.conf.template"
START_SECONDS = 30
STOP_SECONDS = 15


def _wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path
) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited at start:\n{_tail(log)}")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {START_SECONDS}s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace").splitlines() if log.exists() else []
    return "\n".join([f"(last lines of {log})", *text[-lines:]])


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RedisServer:
    """A redis-server of the test's own (never the shared one on 6379), stoppable and
    startable again on the same port, as an outage and a recovery."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log = directory / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _wait_until(self.answers, self.process, "redis-server", self.log)
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *words: str) -> bytes:
        """One command in Redis's inline form; the raw reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            conn.sendall(" ".join(words).encode() + b"\r\n")
            time.sleep(0.05)
            return conn.recv(65536)

    def stop(self) -> None:
        _stop(self.process)
        self.process = None


class ParleyServer:
    """The web process exactly as production starts it (`python -m project.serve`)."""

    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log = directory / "server.log"
        self.env = {
            **env,
            "PARLEY_HOST": "127.0.0.1",
            "PARLEY_PORT": str(self.port),
            # Its own var/: metrics files are cleaned per directory at start.
            "PARLEY_VAR_DIR": str(directory / "var"),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def launch(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "project.serve"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_started(self) -> None:
        assert self.process is not None
        _wait_until(self.healthy, self.process, "the Parley server", self.log)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def terminate(self) -> None:
        """SIGTERM, as a deploy or an orchestrator stops a process; does not wait."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: the process vanishes with no chance to close anything."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def wait_exited(self, timeout: float = STOP_SECONDS) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        _stop(self.process)


class Nginx:
    """Debian's nginx, not as a daemon, with docs/nginx.conf.template rendered for the given
    servers, and its pid, logs and temporary files in the test's own directory."""

    def __init__(
        self,
        directory: Path,
        servers: list[ParleyServer],
        idle_timeout: str = "75s",
        client_timeout: str = "30s",
        connections_per_ip: int = 50,
    ) -> None:
        if shutil.which("nginx") is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.port = free_port()
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.log = directory / "error.log"
        # What the nginx image's envsubst does with the template, for these values.
        site = Template(NGINX_TEMPLATE.read_text()).safe_substitute(
            PARLEY_LISTEN=f"127.0.0.1:{self.port}",
            PARLEY_UPSTREAMS=" ".join(f"server 127.0.0.1:{s.port};" for s in servers),
            PARLEY_IDLE_TIMEOUT=idle_timeout,
            PARLEY_CLIENT_TIMEOUT=client_timeout,
            PARLEY_CONNECTIONS_PER_IP=str(connections_per_ip),
        )
        (directory / "parley.conf").write_text(site)
        temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir(exist_ok=True)
        (directory / "nginx.conf").write_text(
            f"""
worker_processes 1;
pid {directory}/nginx.pid;
error_log {self.log} info;
events {{ worker_connections 512; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {directory}/parley.conf;
}}
"""
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        command = [
            "nginx", "-p", str(self.directory), "-c", str(self.directory / "nginx.conf"),
            "-g", "daemon off; user root;",
        ]  # fmt: skip
        with (self.directory / "stderr.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _wait_until(self._listening, self.process, "nginx", self.directory / "stderr.log")
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        # SIGQUIT is nginx's graceful stop; SIGTERM (fast) is what we want in tests.
        _stop(self.process)


class Processes:
    """Everything a test starts, stopped when the `with` block ends."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.prefix = f"parley-ops-{uuid.uuid4().hex[:12]}"
        self.started: list[RedisServer | ParleyServer | Nginx] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for process in reversed(self.started):
            process.stop()

    def redis(self) -> RedisServer:
        server = RedisServer(self.directory / f"redis-{len(self.started)}")
        self.started.append(server)
        return server.start()

    def parley(
        self, count: int = 1, redis_urls: list[str] | None = None, **env: str
    ) -> list[ParleyServer]:
        """`count` web processes (one uvicorn worker each), started side by side."""
        base = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": ",".join(redis_urls or [settings.REDIS_URL]),
            "SECRET_KEY": settings.SECRET_KEY,
            "CHANNEL_LAYER_PREFIX": self.prefix,
            "WEB_CONCURRENCY": "1",
            "PYTHONUNBUFFERED": "1",
            # Bursts of sends are what these tests are about; flood control has its own.
            "CHAT_RATE_LIMIT": "0",
            "CHAT_FRAME_LIMIT": "0",
            **env,
        }
        # tests/settings.py would replace the prefix with the run's; these servers use theirs.
        for name in RUN_VARIABLES:
            base.pop(name, None)
        base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        servers = []
        for _ in range(count):
            server = ParleyServer(self.directory / f"parley-{len(self.started)}", base)
            self.started.append(server)
            server.launch()
            servers.append(server)
        for server in servers:
            server.wait_started()
        return servers

    def nginx(self, servers: list[ParleyServer], **options: object) -> Nginx:
        proxy = Nginx(self.directory / "nginx", servers, **options)  # type: ignore[arg-type]
        self.started.append(proxy)
        return proxy.start()
