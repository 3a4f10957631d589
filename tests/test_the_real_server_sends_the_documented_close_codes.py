"""The close codes of docs/protocol.md, as the real web process (uvicorn, project.serve)
sends them: 1013 when the database or Redis is down at connect, with one warning line in
the log and no traceback; 4404 for a slug no room can have (a NUL byte, a slash, a dot),
before any query, so even with the database down; 1009 for a frame over the 64 KiB limit.
(4408 and 4429 have files of their own.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from websockets.frames import Frame, Opcode

from accounts.models import User
from chat.models import Room
from tests.browser.server import LiveServer
from tests.conftest import session_cookie
from tests.outage import Outage
from tests.real_server import RawSocket, free_port

pytestmark = pytest.mark.django_db(transaction=True)

BAD_SLUGS = ["a%00b", "%00", "a%2Fb", "a%0Ab", "a.b", "..", "a%20b", "%FF", "x" * 101]


def close_code(server: LiveServer, path: str, cookie: str | None, wait: float = 15) -> int | None:
    """The code the server closes a new socket with, or None if it is still open after
    `wait` seconds."""
    socket = RawSocket(f"ws://127.0.0.1:{server.port}{path}", cookie)
    try:
        assert socket.response is not None
        assert socket.response.status_code == 101, "refusals are accepted, then closed"
        return socket.read_until_closed(timeout=wait)
    finally:
        socket.close()


def log_lines(server: LiveServer) -> list[str]:
    return server.log_path.read_text(errors="replace").splitlines()


def assert_no_traceback(server: LiveServer) -> None:
    text = server.log_path.read_text(errors="replace")
    assert "Traceback" not in text, server.log_tail()
    assert "Exception in ASGI application" not in text, server.log_tail()


@pytest.fixture
def outage() -> Iterator[Outage]:
    outage = Outage()
    yield outage
    outage.end()


def test_database_down_at_connect_is_1013_with_one_warning_line(
    serve: Callable[..., LiveServer], alice: User, room: Room, outage: Outage
) -> None:
    server = serve(DATABASE_POOL_TIMEOUT="5")  # how long a connect waits for the database
    cookie = session_cookie(alice).decode()
    assert close_code(server, "/ws/chat/general/", cookie, wait=1) is None  # admitted

    with outage.during():
        assert close_code(server, "/ws/chat/general/", cookie) == 1013
        # A slug no room can have is refused before anything reads the database.
        assert close_code(server, "/ws/chat/a%00b/", None) == 4404

    warnings = [line for line in log_lines(server) if " WARNING " in line]
    assert len([line for line in warnings if "1013" in line]) == 1, server.log_tail()
    assert_no_traceback(server)
    # And once the database is back, so are the sockets.
    assert close_code(server, "/ws/chat/general/", cookie, wait=1) is None


@pytest.mark.parametrize("socket_cap", ["20", "0"])
def test_redis_down_at_connect_is_1013_with_one_warning_line(
    serve: Callable[..., LiveServer], alice: User, room: Room, socket_cap: str
) -> None:
    # Nothing listens on this port. With the socket cap on, counting the socket fails
    # first; with it off, joining the room's group does.
    server = serve(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", CHAT_MAX_SOCKETS_PER_USER=socket_cap
    )
    cookie = session_cookie(alice).decode()

    assert close_code(server, "/ws/chat/general/", cookie) == 1013

    warnings = [line for line in log_lines(server) if " WARNING " in line and "1013" in line]
    assert len(warnings) == 1, server.log_tail()
    assert_no_traceback(server)


def test_slugs_no_room_can_have_are_4404(
    serve: Callable[..., LiveServer], alice: User, room: Room
) -> None:
    server = serve()
    cookie = session_cookie(alice).decode()
    for slug in BAD_SLUGS:
        assert close_code(server, f"/ws/chat/{slug}/", cookie) == 4404, slug
        assert close_code(server, f"/ws/chat/{slug}/", None) == 4404, slug
    assert close_code(server, "/ws/chat/no-such-room/", cookie) == 4404
    assert_no_traceback(server)


def test_a_100_kib_frame_is_refused_by_the_server_with_1009(
    serve: Callable[..., LiveServer], alice: User, room: Room
) -> None:
    server = serve()
    socket = RawSocket(
        f"ws://127.0.0.1:{server.port}/ws/chat/general/", session_cookie(alice).decode()
    )
    body = "x" * (100 * 1024)
    text = f'{{"type": "message.send", "body": "{body}", "client_id": "big"}}'
    frame = Frame(Opcode.TEXT, text.encode()).serialize(mask=True)
    # The frame's header and a first KiB: the header declares the size, which is all the
    # server needs, and the rest would only race its close.
    socket.sock.sendall(frame[: 14 + 1024])
    assert socket.read_until_closed(timeout=10) == 1009
    socket.close()
