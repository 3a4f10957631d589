"""The chat's Prometheus metrics, and one call per event for the code that counts them.

Every call site is one line (`metrics.message_saved(seq, client_id)`), so the socket code
reads as before. The calls that mark an event a person might look for later also write one
log line for it (never the body of a message).

Metrics live in prometheus_client's default registry. In a server process started by
`project/serve.py` (or a Celery worker) they are written to files under
PROMETHEUS_MULTIPROC_DIR, one per process, and `/metrics` adds every process up
(project/ops/prometheus.py); elsewhere (tests, a shell) they simply count in memory. Names and
meanings are listed in docs/deploy.md.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram

logger = logging.getLogger("chat.events")

OPEN_SOCKETS = Gauge(
    "parley_open_sockets",
    "Room sockets open now (accepted and not yet closed), over every live server process.",
    # Only processes still running count: a killed process's sockets are gone with it.
    multiprocess_mode="livesum",
)
SERVER_CLOSES = Counter(
    "parley_server_closes",
    "Sockets the app closed, by close code: refusals at connect (4401, 4403, 4404, 1013) "
    "and later closes (4403 on a ban, 4408 too slow). Not 1012: the server sends it itself.",
    ["code"],
)
MESSAGES_SAVED = Counter("parley_messages_saved", "Messages committed from room sockets.")
ERRORS = Counter("parley_errors", "Error frames sent to sockets, by error code.", ["code"])
BROADCASTS = Counter(
    "parley_broadcasts", "Frames published to a group on the channel layer.", ["result"]
)
BROADCAST_SECONDS = Histogram(
    "parley_broadcast_seconds",
    "Time to publish one frame to the channel layer.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0),
)
DELIVERIES = Counter(
    "parley_deliveries", "Frames handed to local sockets by this process's hub (one per socket)."
)
PRUNE_RUNS = Counter("parley_prune_runs", "Runs of the Celery prune task that finished.")
PRUNE_ROWS = Counter("parley_prune_rows_deleted", "Messages deleted by the Celery prune task.")


def socket_opened() -> None:
    OPEN_SOCKETS.inc()


def socket_closed() -> None:
    OPEN_SOCKETS.dec()


def closed_by_server(code: int) -> None:
    SERVER_CLOSES.labels(str(code)).inc()


def message_saved(seq: int, client_id: str) -> None:
    MESSAGES_SAVED.inc()
    # Room, user and request id come from the socket's logging context (project/ops/logs.py).
    logger.info("message saved seq=%s", seq, extra={"seq": seq, "client_id": client_id})


def error_sent(code: str, client_id: str | None = None) -> None:
    ERRORS.labels(code).inc()
    logger.info("error sent code=%s", code, extra={"code": code, "client_id": client_id})


def broadcast_done(ok: bool, seconds: float) -> None:
    BROADCASTS.labels("ok" if ok else "failed").inc()
    BROADCAST_SECONDS.observe(seconds)


def delivered(sockets: int) -> None:
    """Once per fan-out, with the number of sockets it reached: cheap at any room size."""
    DELIVERIES.inc(sockets)


def prune_done(deleted: int) -> None:
    PRUNE_RUNS.inc()
    PRUNE_ROWS.inc(deleted)
