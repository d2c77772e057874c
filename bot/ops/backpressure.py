"""Backpressure for the platform webhooks: serve at capacity, refuse the excess fast.

Without a bound, an overloaded server accepts every webhook, and each one waits behind all the others
until the platform's own timeout gives up on it: the work done for it is wasted, the platform
redelivers anyway, and throughput collapses. Here at most `limit` webhook requests are handled at once
and at most `queue` more wait for a slot, each for at most `max_wait` seconds. Anything beyond is
answered at once with 503 and `Retry-After`, before the body is read or anything is stored; LINE
(with webhook redelivery on) and Telegram redeliver a non-2xx webhook later, and the inbox makes a
redelivery of an event already stored a duplicate that changes nothing. Refusals are counted in
`counselbot_webhook_refused_total{path, reason}`.

Only the webhook paths are bounded: the console, the web chat and the health checks pass untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.types import ASGIApp, Receive, Scope, Send

WEBHOOK_PATHS = ("/webhooks/line", "/webhooks/telegram")
# One process's engine gains nothing from more concurrent events than this (they wait on the
# database's writer); 40 connections from a platform (Telegram's default) all fit with the queue.
LIMIT = 32
QUEUE = 64
# A webhook that waited this long for a slot is refused: the platform gives up after a few seconds,
# and an answer it never reads is work wasted.
MAX_WAIT = 1.0
RETRY_AFTER = "1"


class Backpressure:
    """ASGI middleware bounding concurrent webhook handling (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        registry: CollectorRegistry | None = None,
        paths: Iterable[str] = WEBHOOK_PATHS,
        limit: int | None = None,
        queue: int | None = None,
        max_wait: float | None = None,
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        # Read at construction (not import) time so that a test can set the module's values.
        self.limit = limit if limit is not None else LIMIT
        self.queue = queue if queue is not None else QUEUE
        self.max_wait = max_wait if max_wait is not None else MAX_WAIT
        self._slots = asyncio.Semaphore(self.limit)
        self._waiting = 0
        self.refused = Counter(
            "counselbot_webhook_refused",
            "Webhooks answered 503 at once because the server was at capacity (the platform redelivers).",
            ["path", "reason"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "counselbot_webhook_in_flight",
            "Webhook requests being handled or waiting for a slot.",
            multiprocess_mode="livesum",
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path not in self.paths:
            await self.app(scope, receive, send)
            return
        if self._slots.locked() and self._waiting >= self.queue:
            await self._refuse(path, "queue full", send)
            return
        self.in_flight.inc()
        try:
            if not await self._acquire():
                await self._refuse(path, "waited too long", send)
                return
            try:
                await self.app(scope, receive, send)
            finally:
                self._slots.release()
        finally:
            self.in_flight.dec()

    async def _acquire(self) -> bool:
        if not self._slots.locked():
            await self._slots.acquire()  # free: returns at once
            return True
        self._waiting += 1
        try:
            async with asyncio.timeout(self.max_wait):
                await self._slots.acquire()
            return True
        except TimeoutError:
            return False
        finally:
            self._waiting -= 1

    async def _refuse(self, path: str, reason: str, send: Send) -> None:
        self.refused.labels(path=path, reason=reason).inc()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"retry-after", RETRY_AFTER.encode()),
                    (b"content-length", b"12"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"server busy\n"})
