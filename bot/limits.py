"""Cheap-abuse defences kept in this process: body caps while streaming, token buckets, stream counts,
and warnings that cannot flood the log.

Every count here is per process: with `serve --workers N` each worker keeps its own (docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Idle keys are forgotten first; a flood of fresh keys cannot grow memory past this.
MAX_KEYS = 50_000


class BodyTooLarge(Exception):
    """Raised from receive(): the body went past its cap while it was being read."""


class BodyLimit:
    """Refuses a body past its cap with 413, from the declared length or while it streams in.

    Nothing past the cap is ever read from the socket, so it is never buffered or spooled to disk.
    """

    def __init__(self, app: ASGIApp, cap_for: Callable[[str], int]) -> None:
        self.app = app
        self.cap_for = cap_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _too_large(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send) -> None:
    body = b'{"error":"request too large"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """Token buckets: `rate` events per `per` seconds for each key, bursts up to `rate`."""

    def __init__(self, rate: int, per: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(rate)
        self.refill = rate / per
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float | None:
        """None when allowed (one token taken); else the seconds until a token is back."""
        now = self.clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.refill)
            bucket.at = now
        self._buckets[key] = bucket
        while len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.refill


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class Gauge:
    """How many of something (an open stream) each key holds, with a cap per key."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._held: dict[str, int] = {}

    def acquire(self, key: str) -> bool:
        held = self._held.get(key, 0)
        if held >= self.cap:
            return False
        self._held[key] = held + 1
        return True

    def release(self, key: str) -> None:
        held = self._held.get(key, 0) - 1
        if held > 0:
            self._held[key] = held
        else:
            self._held.pop(key, None)

    def held(self, key: str) -> int:
        return self._held.get(key, 0)


class StreamSlots:
    """Every open stream in this process, at most `cap` of them, shared fairly between addresses.

    Per-address caps alone let a few hundred addresses hold every connection the server has with idle
    streams. At the cap, a new stream takes the slot of the oldest stream of the address holding the
    most, so long as that address holds more than the newcomer's would: a flood displaces itself, an
    office with one chat open keeps it. The displaced stream is told to end (its `ended` is set) and
    its browser comes back, from its last event, later.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._open: dict[str, list[asyncio.Event]] = {}
        self._count = 0
        self.displaced = 0

    def acquire(self, address: str) -> asyncio.Event | None:
        """A slot (the event the stream watches to end), or None: the newcomer holds the most."""
        if self._count >= self.cap:
            biggest = max(self._open, key=lambda a: len(self._open[a]))
            if len(self._open[biggest]) <= len(self._open.get(address, ())) + 1:
                return None
            oldest = self._open[biggest].pop(0)
            if not self._open[biggest]:
                del self._open[biggest]
            self._count -= 1
            self.displaced += 1
            oldest.set()
        ended = asyncio.Event()
        self._open.setdefault(address, []).append(ended)
        self._count += 1
        return ended

    def release(self, address: str, ended: asyncio.Event) -> None:
        held = self._open.get(address)
        if held is None or ended not in held:
            return  # displaced: its slot was given away already
        held.remove(ended)
        if not held:
            del self._open[address]
        self._count -= 1

    @property
    def open(self) -> int:
        return self._count


class QuietWarnings:
    """At most one WARNING per reason per `every` seconds, saying how many were held back."""

    def __init__(
        self, log: logging.Logger, every: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.log, self.every, self.clock = log, every, clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, reason: str, **extra: Any) -> bool:
        """Logs `reason` unless it was logged within `every` seconds; True when it was logged."""
        now = self.clock()
        last = self._last.get(reason)
        if last is not None and now - last < self.every:
            self._held[reason] = self._held.get(reason, 0) + 1
            return False
        suppressed = self._held.pop(reason, 0)
        self._last[reason] = now
        self.log.warning(reason, extra={**extra, "suppressed": suppressed})
        return True
