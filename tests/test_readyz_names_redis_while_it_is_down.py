"""`/healthz` answers whenever the process runs; `/readyz` answers 503 naming Redis while a
Redis server is down, quickly enough to poll every second, and 200 once it is back, with no
restart of the Parley process."""

from __future__ import annotations

import time
import urllib.request

import pytest

from tests.processes import ParleyServer, Processes
from tests.room_client import get_json

pytestmark = pytest.mark.django_db(transaction=True)


def ready_within(server: ParleyServer, seconds: float) -> tuple[int, dict]:
    deadline = time.monotonic() + seconds
    while True:
        status, body = get_json(f"{server.url}/readyz")
        if status == 200 or time.monotonic() > deadline:
            return status, body
        time.sleep(0.2)


def test_readyz_is_503_naming_redis_while_it_is_down_and_200_after(tmp_path):
    with Processes(tmp_path) as processes:
        redis = processes.redis()
        [server] = processes.parley(redis_urls=[redis.url])

        assert get_json(f"{server.url}/healthz") == (200, {"status": "ok"})
        assert get_json(f"{server.url}/readyz") == (
            200,
            {"status": "ok", "checks": {"database": "ok", "redis": "ok"}},
        )

        redis.stop()
        started = time.monotonic()
        status, body = get_json(f"{server.url}/readyz")
        assert time.monotonic() - started < 2, "a poll must not hang on a dead Redis"
        assert status == 503
        assert body["status"] == "unavailable"
        assert body["failed"] == ["redis"]
        assert body["checks"]["database"] == "ok"
        assert f"127.0.0.1:{redis.port}" in body["checks"]["redis"]
        assert get_json(f"{server.url}/healthz") == (200, {"status": "ok"})

        redis.start()
        assert ready_within(server, 5) == (
            200,
            {"status": "ok", "checks": {"database": "ok", "redis": "ok"}},
        )


def test_health_polls_skip_django_and_stay_cheap(tmp_path):
    """A hundred polls of each take well under a second: no session, middleware or
    template work, one round trip to each service."""
    with Processes(tmp_path) as processes:
        [server] = processes.parley()
        for path in ("/healthz", "/readyz"):
            get_json(f"{server.url}{path}")  # the first /readyz opens its connections
            started = time.monotonic()
            for _ in range(100):
                assert get_json(f"{server.url}{path}")[0] == 200
            assert time.monotonic() - started < 2.5, path
            with urllib.request.urlopen(f"{server.url}{path}") as response:
                # Django's middleware would have added these; the health paths never reach it.
                assert response.headers["Vary"] is None
                assert response.headers["X-Frame-Options"] is None
                assert response.headers["Cache-Control"] == "no-store"
