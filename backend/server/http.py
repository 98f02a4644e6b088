"""uvicorn's h11 protocol with the two bounds it lacks: a deadline to read a request, and a connection cap.

uvicorn waits for a request's headers forever (its keep-alive timer restarts on every byte, so
a client sending one byte a second is kept for good) and accepts every connection. Here:

* a request (headers and body) must arrive within ``read_timeout_s`` of the connection opening
  or of the previous response; otherwise the connection is closed. The deadline does not move
  when bytes trickle in;
* beyond ``max_connections`` open connections a new one is closed at once, so half-open sockets
  cannot pile up (uvicorn's ``limit_concurrency`` answers 503 below that).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

READ_TIMEOUT_S = 20.0
MAX_CONNECTIONS = 128
MAX_HEADER_BYTES = 16 * 1024  # h11's largest incomplete event: the request line and headers


class BoundedH11Protocol(H11Protocol):
    read_timeout_s = READ_TIMEOUT_S
    max_connections = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            transport.abort()  # connection_lost follows and forgets it
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._disarm()  # the whole request is in (or the connection is ending)

    def on_response_complete(self) -> None:
        self._arm()  # the next request on this connection gets its own deadline (before a pipelined
        super().on_response_complete()  # one is read here, which disarms it once complete)
        if self.transport.is_closing():
            self._disarm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.read_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def bounded_protocol(read_timeout_s: float, max_connections: int) -> type[H11Protocol]:
    """The protocol class with these bounds (uvicorn takes a class, and makes one per connection)."""
    return type(
        "BoundedH11",
        (BoundedH11Protocol,),
        {"read_timeout_s": read_timeout_s, "max_connections": max_connections},
    )
