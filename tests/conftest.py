"""Shared fixtures: the personas (alice, bob, charlie), rooms, and sockets over the real stack.

The suite talks to the real PostgreSQL and Redis; if either is not answering the run stops
at once with one line saying which, and how to start it.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.db.models import F
from django.test import Client

from accounts.models import User
from chat import limits, posting, presence
from chat.models import Room
from project.asgi import application
from tests.browser.server import LiveServer
from tests.real_server import start_server

START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadscope` (make test) with Parley's scopes: tests/scheduling.py."""
    if config.getvalue("dist") != "loadscope":
        return None
    from tests.scheduling import ParleyScheduling

    return ParleyScheduling(config, log)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    database = settings.DATABASES["default"]
    if connections["default"].vendor != "postgresql":
        pytest.exit("The tests need PostgreSQL: set DATABASE_URL=postgres://…", returncode=3)
    db_host, db_port = database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)
    if not _answers(db_host, db_port):
        pytest.exit(
            f"PostgreSQL is not answering at {db_host}:{db_port} (DATABASE_URL); "
            f"start it with: {START_POSTGRES}",
            returncode=3,
        )
    redis = urlsplit(settings.REDIS_URL)
    redis_host, redis_port = redis.hostname or "127.0.0.1", redis.port or 6379
    if not _answers(redis_host, redis_port):
        pytest.exit(
            f"Redis is not answering at {redis_host}:{redis_port} (REDIS_URL); "
            f"start it with: {START_REDIS}",
            returncode=3,
        )
    _forget_counters()


def _forget_counters() -> None:
    """Drop the rate and socket counts and the presence an earlier run left (chat.limits,
    chat.presence): user pks start again at 1 in a new test database, and a count of an old
    alice would count for the new."""
    import redis

    with redis.Redis.from_url(settings.REDIS_URL) as client:
        stale = list(client.scan_iter(f"{settings.CHANNEL_LAYER_PREFIX}:limits:*"))
        stale += client.scan_iter(f"{settings.CHANNEL_LAYER_PREFIX}:presence:*")
        if stale:
            client.delete(*stale)


@pytest.fixture(autouse=True)
async def _close_posting_pool() -> AsyncIterator[None]:
    """Each test runs in an event loop of its own, and sockets' sends open an async
    connection pool per loop (chat.posting), and a Redis client for the limits
    (chat.limits): close them before the loop goes."""
    yield
    await posting.close_pools()
    await limits.close_counters()
    await presence.close_presence()


@pytest.fixture
def alice(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("alice", "alice@example.com", "alice-pw-1")


@pytest.fixture
def bob(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("bob", "bob@example.com", "bob-pw-1")


@pytest.fixture
def charlie(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("charlie", "charlie@example.com", "charlie-pw-1")


@pytest.fixture
def room(alice: User) -> Room:
    return Room.objects.create(name="General", slug="general", created_by=alice)


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


# Frames about who is here and who types (chat/presence.py): every room socket hears them,
# and tests of other behaviours pass over them (QuietCommunicator, RoomSocket.quiet).
EPHEMERAL_FRAMES = frozenset({"presence", "presence.join", "presence.leave", "typing"})


def is_ephemeral(text: str | None) -> bool:
    return (
        text is not None
        and text.startswith('{"type":"')
        and text[9:].split('"', 1)[0] in (EPHEMERAL_FRAMES)
    )


class QuietCommunicator(WebsocketCommunicator):
    """A WebsocketCommunicator that, unless `hear_presence`, never returns presence and
    typing frames: they arrive whenever anyone opens, closes or types, in any test."""

    def __init__(self, *args: Any, hear_presence: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hear_presence = hear_presence

    async def receive_output(self, timeout: float = 1) -> dict[str, Any]:  # noqa: ASYNC109
        while True:
            message = await super().receive_output(timeout)
            if self.hear_presence or not is_ephemeral(message.get("text")):
                return message

    async def receive_nothing(
        self,
        timeout: float = 0.1,  # noqa: ASYNC109 (the signature overridden)
        interval: float = 0.01,
    ) -> bool:
        if self.hear_presence:
            return await super().receive_nothing(timeout, interval)
        deadline = time.monotonic() + timeout
        while True:
            kept = []
            while not self.output_queue.empty():
                message = self.output_queue.get_nowait()
                if not is_ephemeral(message.get("text")):
                    kept.append(message)
            for message in kept:
                self.output_queue.put_nowait(message)
            if kept:
                return False
            if time.monotonic() >= deadline:
                return True
            await asyncio.sleep(interval)


async def socket_for(
    user: User | None,
    slug: str,
    origin: bytes = b"http://localhost",
    hear_presence: bool = False,
    path: str = "",
) -> QuietCommunicator:
    """A WebSocket to the whole ASGI app (origin check, session auth, routing, consumer)."""
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    return QuietCommunicator(
        application, path or f"/ws/chat/{slug}/", headers=headers, hear_presence=hear_presence
    )


@pytest.fixture
async def connect() -> AsyncIterator[Callable]:
    """Open sockets that are all disconnected at the end of the test."""
    opened: list[WebsocketCommunicator] = []

    async def _connect(
        user: User, slug: str = "general", hear_presence: bool = False
    ) -> QuietCommunicator:
        communicator = await socket_for(user, slug, hear_presence=hear_presence)
        connected, code = await communicator.connect(timeout=5)
        assert connected, f"socket refused with {code}"
        opened.append(communicator)
        return communicator

    yield _connect
    for communicator in opened:
        await communicator.disconnect()


async def send_and_ack(socket: WebsocketCommunicator, body: str, client_id: str) -> dict:
    """Send a message and return its ack, passing over the broadcasts that come meanwhile."""
    await socket.send_json_to({"type": "message.send", "body": body, "client_id": client_id})
    while True:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] in {"ack", "error"} and frame["client_id"] == client_id:
            return frame


def fill_room(room: Room, author: User, count: int, body_chars: int = 0) -> None:
    """Add `count` messages the fast way (one INSERT), with seqs as post_message gives;
    bodies `m<seq>`, padded with "x" to `body_chars`."""
    from chat.models import Message

    start = room.last_seq
    Message.objects.bulk_create(
        (
            Message(
                room=room,
                author=author,
                seq=start + n,
                body=f"m{start + n}".ljust(body_chars, "x"),
                client_id=f"f{start + n}",
            )
            for n in range(1, count + 1)
        ),
        batch_size=1000,
    )
    Room.objects.filter(pk=room.pk).update(
        last_seq=start + count, message_count=F("message_count") + count
    )
    room.refresh_from_db()


@pytest.fixture
def moderator(django_user_model: type[User]) -> User:
    """Staff in the Moderators group, not a superuser. The group is made and changed by
    migrations; transactional tests flush it away, so it is made again their way."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    if not Group.objects.filter(name="Moderators").exists():
        made = importlib.import_module("chat.migrations.0003_moderators_group")
        made.create_moderators(apps, None)
        narrowed = importlib.import_module("chat.migrations.0005_moderators_without_accounts")
        narrowed.drop_account_access(apps, None)
        members = importlib.import_module("chat.migrations.0008_members_moderators_see_memberships")
        members.grant(apps, None)
    user = django_user_model.objects.create_user(
        "maude", "maude@example.com", "maude-pw-1", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Moderators"))
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def plain_staff(django_user_model: type[User]) -> User:
    """Staff with no permissions at all."""
    return django_user_model.objects.create_user(
        "stan", "stan@example.com", "stan-pw-1", is_staff=True
    )


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start the web process as the Procfile runs it (python -m project.serve: uvicorn, one
    worker) over the test database, with a channel-layer prefix of its own; keyword
    arguments are environment variables for it. Stopped at the end of the test."""
    servers: list[LiveServer] = []

    def _serve(**env: str) -> LiveServer:
        server = start_server(tmp_path / f"server-{len(servers)}.log", **env)
        servers.append(server)
        return server

    yield _serve
    for server in servers:
        server.stop()
