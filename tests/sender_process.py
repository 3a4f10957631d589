"""Runs in a separate process: a whole Parley server stack of its own (settings, database
pool, Redis channel layer) whose sockets send messages concurrently into one room.

Used by tests/test_seq_concurrency.py to prove that seq stays gapless across processes.
"""

import asyncio
import os


def send_concurrently(
    database_name: str, cookies: list[bytes], slug: str, per_socket: int, tag: str
) -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["NAME"] = database_name
    # This floods one room on purpose, several sockets per person: flood control off.
    settings.CHAT_RATE_LIMIT = settings.CHAT_FRAME_LIMIT = None
    return asyncio.run(_send_all(cookies, slug, per_socket, tag))


async def _send_all(cookies: list[bytes], slug: str, per_socket: int, tag: str) -> list[dict]:
    from channels.testing import WebsocketCommunicator

    from project.asgi import application

    async def one_socket(index: int, cookie: bytes) -> list[dict]:
        headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)]
        socket = WebsocketCommunicator(application, f"/ws/chat/{slug}/", headers=headers)
        connected, code = await socket.connect(timeout=10)
        assert connected, code
        acks = []
        for n in range(per_socket):
            client_id = f"{tag}-{index}-{n}"
            await socket.send_json_to(
                {"type": "message.send", "body": client_id, "client_id": client_id}
            )
            while True:
                frame = await socket.receive_json_from(timeout=20)
                if frame["type"] == "ack" and frame["client_id"] == client_id:
                    acks.append(frame)
                    break
                assert frame["type"] in {"message", "presence", "presence.join"}, frame
        await socket.disconnect()
        return acks

    results = await asyncio.gather(*(one_socket(i, c) for i, c in enumerate(cookies)))
    return [ack for acks in results for ack in acks]
