"""Live notifications between parts of the app (outbox wake-ups, console updates, web chat streams).

In-process fan-out always; on PostgreSQL every publish also goes out with NOTIFY and a LISTEN
connection feeds other processes' notifications in, so several `counselbot serve` processes see each
other's events. Notifications are hints: the database stays the source of truth, and readers catch
up from it (so a lost notification delays, never loses).

Two raw asyncpg connections per process, each with one job:

- the *listen* connection only LISTENs (and, every HEALTH_CHECK_S, a `SELECT 1` to notice a silently
  dead socket). Nothing else runs on it, so publishing can never break it. When it dies (a database
  restart) it is reopened with a back-off; what was sent meanwhile is caught up from the database.
- the *publish* connection only sends NOTIFY, and only from one task. `publish()` queues the
  notification and returns: the caller (the engine, right after its commit) never waits for the
  network, and asyncpg never sees two operations at once on one connection ("another operation is in
  progress"). Whatever queued while one round trip was in flight goes out in the next, as one
  `SELECT pg_notify(...) FROM unnest(...)`: under load that is one round trip per batch, not per
  notification. A failed send reconnects once and retries that batch; if that fails too, the batch
  is given up (one warning per outage, not one per notification) and the sender backs off.
  `flush()` waits until what was queued so far is out (tests, and `stop()`).

Why not NOTIFY inside the committing transaction (atomic with the data)? PostgreSQL holds a global
lock from the pre-commit of every transaction that issued NOTIFY until after its commit, so all
notifying commits of all processes would queue behind one another (fsync included), and that is the
webhook hot path. Atomicity buys nothing for hints, and the publishers (engine, delivery, console,
housekeeping) publish after their unit of work, which works the same on SQLite.

A batch's messages also travel *bundled*: as many as fit in one notification's payload go together
(`{"origin": ..., "messages": [...]}`), so under load one notification carries tens of messages. Every
notification costs PostgreSQL a slot in its queue and a signal to each listening backend, and costs
every listening process a callback and a JSON parse; a process drops its own bundles by their first
bytes, before parsing anything. A notification of the older one-message form is still understood.

PostgreSQL delivers identical notifications sent in one transaction once: each message carries a
sequence number, so a batch keeps them all. Messages of MAX_MESSAGE_BYTES or more (NOTIFY's cap is
8000 bytes) stay in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from typing import Any

log = logging.getLogger(__name__)
CHANNEL = "counselbot"
MAX_NOTIFY_BYTES = 7900
# Room for a bundle's envelope (the origin is a pid and 8 hex digits).
MAX_MESSAGE_BYTES = MAX_NOTIFY_BYTES - 64
MAX_BATCH = 500
# After the first message of a quiet spell, how long the publisher waits for more before sending:
# under load a turn and a delivery publish several messages each, and one NOTIFY round trip for a
# few milliseconds' worth costs a fraction of one per message (asyncpg's execute was ~5% of a
# process's CPU in peerbench C3). Short next to what a notice saves its reader (a claim pass, a page
# refresh).
BUNDLE_WAIT_S = 0.002
# While the database is away the queue is bounded; the oldest hints go first.
MAX_PENDING = 10_000
CONNECT_TIMEOUT_S = 10.0
SEND_TIMEOUT_S = 10.0
HEALTH_CHECK_S = 30.0
BACKOFF_S = (0.5, 1.0, 2.0, 5.0)
NOTIFY_MANY = "SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m"


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


async def _connect(dsn: str, role: str) -> Any:
    import asyncpg

    # The application name tells the two apart in pg_stat_activity (and lets tests find them).
    return await asyncpg.connect(
        dsn, timeout=CONNECT_TIMEOUT_S, server_settings={"application_name": f"counselbot-bus-{role}"}
    )


async def _close(conn: Any) -> None:
    if conn is None:
        return
    try:
        await conn.close(timeout=2)
    except Exception:
        conn.terminate()


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        # wait, not await: the task's own CancelledError stays in it, ours (if any) still propagates.
        await asyncio.wait([task])


def _backoff(failures: int) -> float:
    return BACKOFF_S[min(failures, len(BACKOFF_S)) - 1]


class _Publisher:
    """The publish connection and its queue; one task sends, so sends never overlap."""

    def __init__(self, dsn: str, origin: str) -> None:
        self._dsn = dsn
        self._envelope = f'{{"origin":{json.dumps(origin)},"messages":['
        self._conn: Any = None
        self._pending: deque[str] = deque()
        self._wake = asyncio.Event()
        self._queued = 0  # ever queued
        self._done = 0  # ever sent or given up on
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._failures = 0
        self.sent = 0
        self.dropped = 0
        self.batches = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._conn = await _connect(self._dsn, "publish")
        self._task = asyncio.create_task(self._run(), name="bus-publisher")

    async def stop(self, timeout: float) -> None:
        await self.flush(timeout)
        await _cancel(self._task)
        self._task = None
        conn, self._conn = self._conn, None
        await _close(conn)

    def put(self, raw: str) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._pending.popleft()
            self.dropped += 1
            self._advance(1)
        self._pending.append(raw)
        self._queued += 1
        self._wake.set()

    async def flush(self, timeout: float) -> bool:
        target = self._queued
        if self._done >= target:
            return True
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        try:
            async with asyncio.timeout(timeout):
                await future
        except TimeoutError:
            return False
        return True

    def _advance(self, n: int) -> None:
        self._done += n
        waiting = []
        for target, future in self._waiters:
            if self._done < target:
                waiting.append((target, future))
            elif not future.done():
                future.set_result(None)
        self._waiters = waiting

    async def _run(self) -> None:
        while True:  # until stop() cancels it
            await self._wake.wait()
            await asyncio.sleep(BUNDLE_WAIT_S)
            self._wake.clear()
            while self._pending:
                batch = [self._pending.popleft() for _ in range(min(MAX_BATCH, len(self._pending)))]
                sent = await self._send(batch)
                self._advance(len(batch))
                if not sent:
                    # Let the database come back; what queues meanwhile goes out in one batch.
                    await asyncio.sleep(_backoff(self._failures))

    def _bundles(self, batch: list[str]) -> list[str]:
        """The batch's messages (JSON texts, in order) packed into as few notifications as fit."""
        bundles: list[str] = []
        room = MAX_NOTIFY_BYTES - len(self._envelope) - 2
        current: list[str] = []
        size = 0
        for raw in batch:
            if current and size + len(raw) + 1 > room:
                bundles.append(self._envelope + ",".join(current) + "]}")
                current, size = [], 0
            current.append(raw)
            size += len(raw) + 1
        if current:
            bundles.append(self._envelope + ",".join(current) + "]}")
        return bundles

    async def _send(self, batch: list[str]) -> bool:
        error: Exception | None = None
        for _attempt in range(2):  # a dead connection is replaced once and the batch retried
            try:
                if self._conn is None or self._conn.is_closed():
                    await _close(self._conn)
                    self._conn = None
                    self._conn = await _connect(self._dsn, "publish")
                await self._conn.execute(NOTIFY_MANY, CHANNEL, self._bundles(batch), timeout=SEND_TIMEOUT_S)
            except Exception as exc:  # asyncpg, OSError, TimeoutError: this connection is done
                error = exc
                conn, self._conn = self._conn, None
                if conn is not None:
                    conn.terminate()
                continue
            if error is not None and not self._failures:
                log.info("bus: publish connection replaced (%s)", type(error).__name__)
            if self._failures:
                log.info("bus: NOTIFY works again (%d notifications were given up)", self.dropped)
            self._failures = 0
            self.sent += len(batch)
            self.batches += 1
            return True
        self._failures += 1
        self.dropped += len(batch)
        if self._failures == 1:
            # Only the exception's type: its text may quote the payload.
            log.warning(
                "bus: NOTIFY failed (%s); other processes catch up from the database until it is back",
                type(error).__name__,
            )
        return False


class _Listener:
    """The LISTEN connection: nothing else runs on it; reopened whenever it dies."""

    def __init__(self, dsn: str, on_message: Callable[[str], None]) -> None:
        self._dsn = dsn
        self._on_message = on_message
        self._conn: Any = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._open()
        self._task = asyncio.create_task(self._watch(), name="bus-listener")

    async def stop(self) -> None:
        await _cancel(self._task)
        self._task = None
        conn, self._conn = self._conn, None
        await _close(conn)

    async def _open(self) -> None:
        conn = await _connect(self._dsn, "listen")
        try:
            self._lost.clear()
            conn.add_termination_listener(self._terminated)
            await conn.add_listener(CHANNEL, self._notified)
        except BaseException:
            conn.terminate()
            raise
        self._conn = conn
        if conn.is_closed():  # died before it was ours, so its termination went unheard
            self._lost.set()

    def _terminated(self, conn: Any) -> None:
        # Only the current connection: terminating the old one must not flag the new one as lost.
        if conn is self._conn:
            self._lost.set()

    def _notified(self, _conn: Any, _pid: int, _channel: str, raw: str) -> None:
        self._on_message(raw)

    async def _alive(self) -> bool:
        try:
            await self._conn.execute("SELECT 1", timeout=SEND_TIMEOUT_S)
        except Exception:
            return False
        return True

    async def _watch(self) -> None:
        failures = 0
        while True:  # until stop() cancels it
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HEALTH_CHECK_S):
                    await self._lost.wait()
            if not self._lost.is_set() and await self._alive():
                continue
            if failures == 0:
                log.warning("bus: LISTEN connection lost; reconnecting")
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.terminate()
            try:
                await self._open()
            except Exception:
                failures += 1
                self._lost.set()
                await asyncio.sleep(_backoff(failures))
                continue
            log.info("bus: LISTEN connection back")
            failures = 0


class Bus:
    def __init__(self, pg_dsn: str | None = None) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._pg_dsn = pg_dsn
        self._origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._own = f'{{"origin":{json.dumps(self._origin)},'  # how this process's bundles start
        self._seq = itertools.count()
        self._listener: _Listener | None = None
        self._publisher: _Publisher | None = None

    async def start(self) -> None:
        if not self._pg_dsn:
            return
        listener, publisher = _Listener(self._pg_dsn, self._on_notify), _Publisher(self._pg_dsn, self._origin)
        await listener.start()
        try:
            await publisher.start()
        except BaseException:
            await listener.stop()
            raise
        self._listener, self._publisher = listener, publisher

    async def stop(self, timeout: float = 2.0) -> None:
        """Sends what is queued (waiting at most `timeout`), then closes both connections."""
        publisher, self._publisher = self._publisher, None
        listener, self._listener = self._listener, None
        if publisher is not None:
            await publisher.stop(timeout)
        if listener is not None:
            await listener.stop()

    async def flush(self, timeout: float = 5.0) -> bool:
        """Waits until every notification published so far has gone out (or been given up on)."""
        return True if self._publisher is None else await self._publisher.flush(timeout)

    def stats(self) -> dict[str, int]:
        """Notifications sent and given up on, and the round trips that sent them (since start)."""
        p = self._publisher
        if p is None:
            return {"sent": 0, "dropped": 0, "batches": 0}
        return {"sent": p.sent, "dropped": p.dropped, "batches": p.batches}

    def _on_notify(self, raw: str) -> None:
        if raw.startswith(self._own):
            return  # our own bundle, back on our LISTEN connection: delivered here already
        try:
            notification = json.loads(raw)
        except ValueError:
            return
        if not isinstance(notification, dict) or notification.get("origin") == self._origin:
            return
        messages = notification.get("messages")
        # A bundle, or one message as processes before bundling sent it.
        for message in messages if isinstance(messages, list) else [notification]:
            if not isinstance(message, dict):
                continue
            topic, payload = message.get("topic"), message.get("payload", {})
            if isinstance(topic, str) and isinstance(payload, dict):
                self._deliver(topic, payload)

    def _deliver(self, topic: str, payload: dict[str, Any]) -> None:
        for sub in list(self._subs.get(topic, ())):
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(payload)

    @property
    def crosses_processes(self) -> bool:
        """True when a publish also reaches the other processes (PostgreSQL's NOTIFY is on)."""
        return self._publisher is not None

    async def publish(self, topic: str, payload: dict[str, Any] | None = None, *, here: bool = True) -> None:
        """Delivers in this process at once and queues the NOTIFY; never waits for the database.
        `here=False`: only the other processes hear it (news this process already knows)."""
        payload = payload or {}
        if here:
            self._deliver(topic, payload)
        if self._publisher is not None:
            raw = json.dumps({"topic": topic, "payload": payload, "seq": next(self._seq)})
            if len(raw) < MAX_MESSAGE_BYTES:  # ASCII (json.dumps escapes the rest): chars are bytes
                self._publisher.put(raw)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        sub = Subscription(self, topic)
        self._subs[topic].add(sub)
        try:
            yield sub
        finally:
            self._subs[topic].discard(sub)


def pg_dsn_from_url(url: str) -> str | None:
    """postgresql+asyncpg://... -> postgresql://... for the raw asyncpg bus connections."""
    if url.startswith("postgresql+asyncpg://"):
        return "postgresql://" + url.removeprefix("postgresql+asyncpg://")
    return None
