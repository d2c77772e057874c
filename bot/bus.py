"""Live notifications between parts of the app (outbox wake-ups, console updates, web chat streams).

In-process fan-out always; on PostgreSQL every publish also goes out with NOTIFY and a LISTEN
connection feeds other processes' notifications in, so several `counselbot serve` processes see each
other's events. Notifications are hints: the database stays the source of truth, and readers catch
up from it (so a lost notification delays, never loses).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)
CHANNEL = "counselbot"


class Subscription:
    def __init__(self, bus: Bus, topic: str) -> None:
        self.bus, self.topic = bus, topic
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self.queue.get()

    async def get(self, timeout: float | None = None) -> dict[str, Any] | None:
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation (a closed stream).
        try:
            async with asyncio.timeout(timeout):
                return await self.queue.get()
        except TimeoutError:
            return None


class Bus:
    def __init__(self, pg_dsn: str | None = None) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._pg_dsn = pg_dsn
        self._conn: Any = None
        self._origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._last_reconnect = 0.0
        self._started = False

    async def start(self) -> None:
        if not self._pg_dsn:
            return
        self._started = True
        import asyncpg

        self._conn = await asyncpg.connect(self._pg_dsn)
        await self._conn.add_listener(CHANNEL, self._on_notify)

    async def stop(self) -> None:
        self._started = False
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def _reconnect(self) -> None:
        """After a database restart the LISTEN connection is dead: open a new one (at most every 5 s)."""
        now = time.monotonic()
        if now - self._last_reconnect < 5:
            return
        self._last_reconnect = now
        await self.stop()
        try:
            await self.start()
        except Exception:
            self._conn = None
            log.warning("bus: reconnect failed; will try again")

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if message.get("origin") == self._origin:
            return
        self._deliver(message["topic"], message.get("payload", {}))

    def _deliver(self, topic: str, payload: dict[str, Any]) -> None:
        for sub in list(self._subs.get(topic, ())):
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(payload)

    async def publish(self, topic: str, payload: dict[str, Any] | None = None) -> None:
        payload = payload or {}
        self._deliver(topic, payload)
        if self._conn is None and self._pg_dsn and self._started:
            await self._reconnect()
        if self._conn is not None:
            raw = json.dumps({"topic": topic, "payload": payload, "origin": self._origin})
            if len(raw) < 7900:  # NOTIFY payloads are capped at 8000 bytes
                try:
                    await self._conn.execute("SELECT pg_notify($1, $2)", CHANNEL, raw)
                except Exception:
                    log.warning("bus: NOTIFY failed; other processes catch up by polling")
                    await self._reconnect()

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        sub = Subscription(self, topic)
        self._subs[topic].add(sub)
        try:
            yield sub
        finally:
            self._subs[topic].discard(sub)


def pg_dsn_from_url(url: str) -> str | None:
    """postgresql+asyncpg://... -> postgresql://... for a raw asyncpg LISTEN connection."""
    if url.startswith("postgresql+asyncpg://"):
        return "postgresql://" + url.removeprefix("postgresql+asyncpg://")
    return None
