"""The web process: uvicorn serving project.asgi, as the Procfile, Dockerfile and compose run it.

    python -m project.serve

Options that are part of Parley's contract live here, once: the sans-I/O websockets protocol
(uvicorn's, with a closing handshake at shutdown: project/websocket.py; incoming frames
capped at 64 KiB, outgoing ones not; flow control on sends; close codes 1012 and 1013
sendable), uvloop and httptools. WEB_CONCURRENCY processes share the port: by
default one per core when REDIS_URL is set, and one without it, since the in-memory channel
layer of the embedded default reaches only the sockets of its own process.

Behind a proxy (docs/deploy.md): uvicorn takes the client's address and scheme from
X-Forwarded-For and X-Forwarded-Proto only when the connection comes from an address in
FORWARDED_ALLOW_IPS. On SIGTERM it stops accepting, closes every WebSocket with 1012
("service restart": reconnect at once, elsewhere; docs/protocol.md), waiting for each client
to answer the close, and gives requests and saves in flight WEB_SHUTDOWN_SECONDS to finish.
"""

import os
from pathlib import Path

import uvicorn

from project.env import env_int, env_list, env_str, load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# Incoming frames only: a message body is at most CHAT_MAX_MESSAGE_CHARS (4,000) characters.
MAX_INCOMING_FRAME_BYTES = 64 * 1024
# uvicorn pings every socket this often and closes one whose pong does not come within the
# same time: a vanished client costs at most ~40 s. The proxy's idle timeout must be longer
# than the interval (docs/nginx.conf.template), or it would cut quiet but healthy sockets.
WS_PING_SECONDS = 20.0


def main() -> None:
    load_dotenv(BASE_DIR / ".env")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.conf import settings
    from django.utils.log import configure_logging

    from project.ops import prometheus

    # Before anything imports prometheus_client (project/ops/prometheus.py). Reading the settings
    # here also checks them once, before any worker starts.
    prometheus.use_directory(settings.METRICS_DIR)
    # Workers configure Django's logging as they load the app; this process (the supervisor
    # of several workers) logs their deaths and restarts, in the same format.
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    one_per_core = os.cpu_count() or 1
    uvicorn.run(
        "project.asgi:application",
        host=env_str("PARLEY_HOST", "127.0.0.1"),
        port=env_int("PARLEY_PORT", 8000, minimum=1),
        workers=env_int("WEB_CONCURRENCY", one_per_core if env_str("REDIS_URL") else 1, minimum=1),
        # uvicorn's "websockets-sansio", with a shutdown that waits for the client's answer to
        # its 1012 before closing the connection (project/websocket.py).
        ws="project.websocket:WebSocketProtocol",
        ws_max_size=MAX_INCOMING_FRAME_BYTES,
        ws_ping_interval=WS_PING_SECONDS,
        ws_ping_timeout=WS_PING_SECONDS,
        # Compressing each frame once per socket cost a fifth of the CPU of a fan-out, for
        # frames of a few hundred bytes (docs/performance.md).
        ws_per_message_deflate=False,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        # Said, not guessed: the outer middleware are plain callables that return the inner
        # app's coroutine (no frame of theirs per open socket), which uvicorn's guess would
        # take for ASGI 2.
        interface="asgi3",
        proxy_headers=True,
        forwarded_allow_ips=env_list("FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"]),
        # Django's LOGGING (plain or JSON, settings.py) formats uvicorn's lines too.
        log_config=None,
        log_level=env_str("LOG_LEVEL", "INFO").lower(),
        access_log=False,
        timeout_graceful_shutdown=env_int("WEB_SHUTDOWN_SECONDS", 10, minimum=1),
    )


if __name__ == "__main__":
    main()
