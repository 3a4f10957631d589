"""The WebSocket protocol project/serve.py gives uvicorn: its sans-I/O websockets protocol,
with a shutdown that completes the closing handshake instead of cutting the TCP connection.

On SIGTERM, uvicorn's own `shutdown()` writes the 1012 close frame and closes the transport
in the same call. A socket whose client pipelines sends has bytes the server has not read
yet (reading pauses while the app has a frame to handle), and Linux closes a socket with
unread data by sending a reset, which drops whatever the kernel had not sent yet: the 1012
frame itself, whenever the client was behind in reading (its receive window full). The
client then sees 1006 (closed without a close frame), not 1012, and waits out a backoff
instead of reconnecting at once
(tests/test_sigterm_saves_what_it_acked_and_closes_with_1012.py).

Here shutdown sends 1012 the way the app's own `websocket.close` does: it keeps reading
(discarding frames, which nothing could answer now) until the client answers the close, and
only then closes the connection. A client that never answers is cut after half of
WEB_SHUTDOWN_SECONDS (5 s by default, 10 s at most), which bounds the server's wait for its
connections.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

SERVICE_RESTART = 1012


class WebSocketProtocol(WebSocketsSansIOProtocol):
    # Set once shutdown has sent 1012: what the app sends after that is dropped, as it was
    # with uvicorn's own shutdown.
    closed_for_restart = False

    def shutdown(self) -> None:
        if self.close_sent and self.close_timer is not None:
            # The app's own close (4408, 4403, ...) is waiting for the client's answer:
            # closing now could reset the connection under its close frame.
            self.stop_keepalive()
            return
        if self.close_sent or not self.handshake_complete or self.transport.is_closing():
            super().shutdown()
            return
        self.stop_keepalive()
        self.closed_for_restart = True
        # Frames read but not yet handed to the app could not be answered: the app hears the
        # 1012 next. Their sends were never acked; clients resend them elsewhere.
        kept = [event for event in self._drain_queue() if event["type"] != "websocket.receive"]
        for event in kept:
            self.queue.put_nowait(event)
        self.queue.put_nowait({"type": "websocket.disconnect", "code": SERVICE_RESTART})
        self.conn.send_close(SERVICE_RESTART)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        # Read on, dropping frames (send_receive_event_to_app), until the client's close comes:
        # handle_close closes the connection then, with nothing left unread.
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.shutdown_close_timeout(), self.transport.close)

    def shutdown_close_timeout(self) -> float:
        """How long a client that never answers (gone without a word) holds the shutdown: the
        protocol's close timeout, but at most half of WEB_SHUTDOWN_SECONDS, so that such
        sockets never use up the time that saves in flight have to finish."""
        graceful = self.config.timeout_graceful_shutdown
        return self.close_timeout if graceful is None else min(self.close_timeout, graceful / 2)

    def _drain_queue(self) -> list[Any]:
        events = []
        while True:
            try:
                events.append(self.queue.get_nowait())
            except asyncio.QueueEmpty:
                return events

    async def send(self, message: Any) -> None:
        await self.writable.wait()  # as the parent's send does first
        if self.closed_for_restart:
            if message["type"] == "websocket.close":
                return  # 1012 went already
            raise ClientDisconnected()
        await super().send(message)
