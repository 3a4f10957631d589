"""The web process: uvicorn serving project.asgi, as the Procfile, Dockerfile and compose run it.

    python -m project.serve

Options that are part of Parley's contract live here, once: the sans-I/O websockets protocol
(incoming frames capped at 64 KiB, outgoing ones not; flow control on sends; close codes
1012 and 1013 sendable), uvloop and httptools. WEB_CONCURRENCY processes share the port: by
default one per core when REDIS_URL is set, and one without it, since the in-memory channel
layer of the embedded default reaches only the sockets of its own process.
"""

import os
from pathlib import Path

import uvicorn

from project.env import env_int, env_str, load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# Incoming frames only: a message body is at most CHAT_MAX_MESSAGE_CHARS (4,000) characters.
MAX_INCOMING_FRAME_BYTES = 64 * 1024


def main() -> None:
    load_dotenv(BASE_DIR / ".env")
    one_per_core = os.cpu_count() or 1
    uvicorn.run(
        "project.asgi:application",
        host=env_str("PARLEY_HOST", "127.0.0.1"),
        port=env_int("PARLEY_PORT", 8000, minimum=1),
        workers=env_int("WEB_CONCURRENCY", one_per_core if env_str("REDIS_URL") else 1, minimum=1),
        ws="websockets-sansio",
        ws_max_size=MAX_INCOMING_FRAME_BYTES,
        # Compressing each frame once per socket cost a fifth of the CPU of a fan-out, for
        # frames of a few hundred bytes (docs/performance.md).
        ws_per_message_deflate=False,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        log_level=env_str("LOG_LEVEL", "INFO").lower(),
        access_log=False,
        timeout_graceful_shutdown=env_int("WEB_SHUTDOWN_SECONDS", 10, minimum=1),
    )


if __name__ == "__main__":
    main()
