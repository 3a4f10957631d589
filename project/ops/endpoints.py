"""`/healthz`, `/readyz` and `/metrics`, answered before Django sees the request.

A load balancer polls these every second or so on every process: they skip Django's
middleware (no session, CSRF or auth work, no database trip for a session), URL resolution
and templates, and answer in plain JSON or text.

- `/healthz`: 200 whenever the process runs its event loop. No dependency is checked, so a
  database outage never makes an orchestrator restart healthy processes.
- `/readyz`: 200 when the database and every Redis server answer within a second, else 503;
  the body names what failed (project/ops/readiness.py).
- `/metrics`: the Prometheus text of every process on the machine (project/ops/prometheus.py), for
  `Authorization: Bearer <METRICS_TOKEN>`. 404 when METRICS_TOKEN is unset, 403 without the
  token. docs/nginx.conf.template does not pass it through: scrape each machine directly.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable
from typing import Any

from django.conf import settings

from project.ops import prometheus, readiness
from project.ops.logs import ASGIApp, Receive, Scope, Send

JSON = b"application/json"
PROMETHEUS_TEXT = b"text/plain; version=0.0.4; charset=utf-8"


class OpsEndpoints:
    """ASGI middleware in front of the HTTP app: answers the three paths, passes the rest."""

    # A plain callable that returns a coroutine is ASGI 3 all the same; say so, since
    # asgiref (and uvicorn) would otherwise take it for ASGI 2.
    _asgi_single_callable = True

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.routes = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: what passes through is handed on, not awaited here, so a socket
        # that lives for hours holds no frame of this middleware (docs/performance.md).
        endpoint = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if endpoint is None:
            return self.app(scope, receive, send)
        return self.answer(endpoint, scope, send)

    async def answer(self, endpoint: Any, scope: Scope, send: Send) -> None:
        status, content_type, body = await endpoint(scope)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        if scope["method"] == "HEAD":
            body = b""
        await send({"type": "http.response.body", "body": body})


Answer = tuple[int, bytes, bytes]


def _json(status: int, payload: dict[str, Any]) -> Answer:
    return status, JSON, json.dumps(payload).encode()


async def healthz(scope: Scope) -> Answer:
    return _json(200, {"status": "ok"})


async def readyz(scope: Scope) -> Answer:
    checks = await readiness.check()
    failed = [name for name, result in checks.items() if result != "ok"]
    if failed:
        return _json(503, {"status": "unavailable", "failed": failed, "checks": checks})
    return _json(200, {"status": "ok", "checks": checks})


async def metrics(scope: Scope) -> Answer:
    token = settings.METRICS_TOKEN
    if not token:
        return _json(404, {"code": "not_found", "detail": "Metrics are off (METRICS_TOKEN)."})
    if not hmac.compare_digest(_bearer(scope).encode(), token.encode()):
        return _json(403, {"code": "forbidden", "detail": "A bearer token is required."})
    # Reading every process's files is file I/O: off the event loop.
    return 200, PROMETHEUS_TEXT, await asyncio.to_thread(prometheus.render)


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return credentials.strip()
    return ""
