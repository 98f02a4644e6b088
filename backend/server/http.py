"""uvicorn's h11 protocol with the bounds it lacks: deadlines to read a request, and a connection cap
that no local process can fill.

uvicorn waits for a request's headers forever (its keep-alive timer restarts on every byte, so
a client sending one byte a second is kept for good) and accepts every connection. Here:

* a request's line and headers must arrive within ``header_timeout_s`` (a couple of seconds) of
  the connection opening, or of the first byte of a later request on a kept-alive connection;
* the whole request, body included, must arrive within ``read_timeout_s`` of the connection
  opening or of the previous response.

A connection that misses either deadline is closed; neither moves when bytes trickle in.

* at most ``max_connections`` stay open. A newcomer beyond that replaces the connection that has
  waited longest for a request (half-sent headers, or idle between requests) rather than being
  refused: a flood of half-open sockets only ever evicts itself, so /v1/health and the add-on,
  which send their request at once, are served. Only when every connection is busy being answered
  is the newcomer closed at once (uvicorn's ``limit_concurrency`` answers 503 below that).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

READ_TIMEOUT_S = 20.0
HEADER_TIMEOUT_S = 2.0
MAX_CONNECTIONS = 128
MAX_HEADER_BYTES = 16 * 1024  # h11's largest incomplete event: the request line and headers


class BoundedH11Protocol(H11Protocol):
    read_timeout_s = READ_TIMEOUT_S
    header_timeout_s = HEADER_TIMEOUT_S
    max_connections = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None  # the whole request
        self._header_deadline: asyncio.TimerHandle | None = None  # its line and headers
        self.waiting_since = 0.0  # loop time since which it waits for a request (eviction order)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.waiting_since = self.loop.time()
        if len(self.connections) > self.max_connections and not self._evict_one():
            transport.abort()  # connection_lost follows and forgets it
            return
        self._arm()
        self._arm_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and self._header_deadline is None:
            self._arm_headers()  # the first byte of a later request on a kept-alive connection
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            _cancel(self._header_deadline)  # the headers are in (or the connection is ending)
            self._header_deadline = None
            if self.conn.their_state is not h11.SEND_BODY:
                _cancel(self._deadline)  # the whole request is in
                self._deadline = None

    def on_response_complete(self) -> None:
        self.waiting_since = self.loop.time()
        self._arm()  # the next request on this connection gets its own deadline (before a pipelined
        super().on_response_complete()  # one is read here, which disarms it once complete)
        if self.transport.is_closing():
            self._disarm()

    @property
    def evictable(self) -> bool:
        """Whether no request of this connection is being answered (it waits for one, or is idle)."""
        return self.cycle is None or self.cycle.response_complete

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest for a request; False when all are busy."""
        waiting = [
            c for c in self.connections if c is not self and isinstance(c, BoundedH11Protocol) and c.evictable
        ]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c.waiting_since)
        self.connections.discard(oldest)  # at once: uvicorn's concurrency limit counts this set
        oldest._disarm()
        oldest.transport.abort()
        return True

    def _arm(self) -> None:
        _cancel(self._deadline)
        self._deadline = self.loop.call_later(self.read_timeout_s, self._too_slow)

    def _arm_headers(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        _cancel(self._deadline)
        _cancel(self._header_deadline)
        self._deadline = self._header_deadline = None

    def _too_slow(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.close()


def _cancel(timer: asyncio.TimerHandle | None) -> None:
    if timer is not None:
        timer.cancel()


def bounded_protocol(read_timeout_s: float, max_connections: int) -> type[H11Protocol]:
    """The protocol class with these bounds (uvicorn takes a class, and makes one per connection).

    The headers' deadline is HEADER_TIMEOUT_S, or the whole request's when that is shorter."""
    return type(
        "BoundedH11",
        (BoundedH11Protocol,),
        {
            "read_timeout_s": read_timeout_s,
            "header_timeout_s": min(HEADER_TIMEOUT_S, read_timeout_s),
            "max_connections": max_connections,
        },
    )
