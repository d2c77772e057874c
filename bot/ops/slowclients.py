"""Slow clients, timed out by the server itself: uvicorn's HTTP protocol with read timers.

uvicorn has a keep-alive timeout but none for reading a request: a client that sends its headers a
byte at a time, or trickles its body, holds a connection (and a file descriptor) for as long as it
likes, and some thousands of them take the server offline. This protocol answers such a client
`408 Request Timeout` and closes the connection:

- headers: the request line and headers must be complete within `header_timeout` seconds of the
  connection opening (or of the first byte of a kept-alive connection's next request);
- body: it may take `body_timeout` seconds plus one second for every `body_min_rate` bytes received
  (an honest 5 MB upload on a slow line gets its time, a trickle does not). Time the application
  itself is not reading (the body waits in uvicorn's buffer) is not counted against the client;
- connections: past `max_connections` open connections in this process, the oldest connection that
  is idle or still sending its headers is closed to make room; if every connection is busy with a
  request, the new one is answered 503 and closed. A flood of slow connections therefore cannot keep
  a normal request out.

`serve` runs uvicorn with `server_options(settings)`; `serve --workers N` passes `SlowClientProtocol`,
which reads the limits from the environment in each worker (docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot.config import Settings
from bot.limits import QuietWarnings

log = logging.getLogger(__name__)
_quiet = QuietWarnings(log)

TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: 29\r\n"
    b'connection: close\r\n\r\n{"error":"request timed out"}'
)
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 24\r\n"
    b'retry-after: 1\r\nconnection: close\r\n\r\n{"error":"server busy"}'
)
# While the application is not reading the body, look again this often (seconds).
PAUSED_RECHECK = 1.0
# After a 408, how long the client's remaining bytes are read and dropped before the socket closes.
LINGER_S = 2.0
# Header timeouts are spread over up to this fraction more.
JITTER = 0.1


@dataclass(frozen=True, slots=True)
class Limits:
    header_timeout: float
    body_timeout: float
    body_min_rate: int
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.header_timeout,
            settings.body_timeout,
            settings.body_min_rate,
            settings.max_connections,
        )


class SlowClientProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body read timeouts and a connection cap."""

    limits: ClassVar[Limits | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = self._current_limits()
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_start = 0.0
        self._body_bytes = 0
        self._between_requests = False
        self._lingering = False
        # Connections of this server that are idle or still sending headers, oldest first.
        self._idle: dict[SlowClientProtocol, None] = self.server_state.__dict__.setdefault(
            "counselbot_idle", {}
        )

    @classmethod
    def _current_limits(cls) -> Limits:
        if cls.limits is None:
            # A `--workers` child: the same COUNSELBOT_* environment as the parent.
            from bot.config import load_settings

            SlowClientProtocol.limits = Limits.from_settings(load_settings())
        assert cls.limits is not None
        return cls.limits

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._limits.max_connections and not self._make_room():
            _quiet.warning("connection refused: too many open connections")
            transport.write(BUSY_RESPONSE)
            transport.close()
            return
        self._idle[self] = None
        self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._idle.pop(self, None)
        self._cancel_timers()
        super().connection_lost(exc)

    def _make_room(self) -> bool:
        """Closes the oldest idle (or slow-header) connection; False when there is none."""
        for victim in self._idle:
            if victim is not self:
                self._idle.pop(victim)
                victim._give_up(reason="connection closed to make room")
                return True
        return False

    # Headers

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._between_requests = False
        if self._header_timer is None:
            self._start_header_timer()

    def on_headers_complete(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        self._idle.pop(self, None)
        super().on_headers_complete()
        self._body_start, self._body_bytes = self.loop.time(), 0
        self._body_timer = self.loop.call_later(self._limits.body_timeout, self._check_body)

    def _start_header_timer(self) -> None:
        # A little jitter: a crowd that connected at once does not all time out in one pass of the loop.
        timeout = self._limits.header_timeout * (1 + random.random() * JITTER)
        self._header_timer = self.loop.call_later(timeout, self._headers_late)

    def _headers_late(self) -> None:
        self._header_timer = None
        self._give_up(reason="request timed out: headers")

    # Body

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    def _check_body(self) -> None:
        self._body_timer = None
        cycle = self.cycle
        if cycle is None or not cycle.more_body or self.transport.is_closing():
            return
        now = self.loop.time()
        if self.flow.read_paused:
            # The application has not taken what came: not the client's fault, so not its time.
            self._body_start += PAUSED_RECHECK
            self._body_timer = self.loop.call_later(PAUSED_RECHECK, self._check_body)
            return
        allowed = self._limits.body_timeout + self._body_bytes / self._limits.body_min_rate
        if now - self._body_start < allowed:
            self._body_timer = self.loop.call_later(self._body_start + allowed - now, self._check_body)
            return
        self._give_up(reason="request timed out: body", linger=True)

    # Keep-alive: between requests the connection is idle (uvicorn's own keep-alive timer runs).

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._between_requests = True
            self._idle[self] = None

    def _give_up(self, *, reason: str, linger: bool = False) -> None:
        self._cancel_timers()
        transport = self.transport
        if transport.is_closing():
            return
        cycle = self.cycle
        # Answered 408 unless the connection sat idle between requests or a response is under way.
        mid_response = cycle is not None and cycle.response_started and not cycle.response_complete
        _quiet.warning(reason)
        if self._between_requests or mid_response:
            transport.close()
            return
        if not linger or not transport.can_write_eof():
            # Headers too slow, or closed to make room: most likely an attack, and its slot is
            # wanted now.
            transport.write(TIMEOUT_RESPONSE)
            transport.close()
            return
        # A body too slow: a lingering close. Closing a socket while the client's bytes still arrive
        # makes the kernel answer them with a reset, which can discard the 408 before the client
        # reads it. So the answer goes out with a FIN, what still comes is read and dropped, and the
        # socket is closed when the client closes its side or after LINGER_S.
        transport.write(TIMEOUT_RESPONSE)
        transport.write_eof()
        self._lingering = True
        self.loop.call_later(LINGER_S, transport.close)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # after a 408: dropped, unparsed
        super().data_received(data)

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = None


def protocol_for(limits: Limits) -> type[SlowClientProtocol]:
    """A protocol class bound to these limits (one server in this process; tests run several)."""
    return type("BoundSlowClientProtocol", (SlowClientProtocol,), {"limits": limits})


def server_options(settings: Settings, *, workers: int = 1) -> dict[str, Any]:
    """uvicorn.run / uvicorn.Config keyword arguments for the timeouts and the connection cap."""
    http: type[SlowClientProtocol] = SlowClientProtocol
    if workers <= 1:
        http = protocol_for(Limits.from_settings(settings))
    return {"http": http, "timeout_keep_alive": settings.keep_alive_timeout}
