"""The outbox worker: sends committed rows through their channel, in order per conversation.

Two ways in. The fast one: the engine inserts its answer already leased to this process (when nothing
earlier of the conversation is undelivered, see `outbox.reply_draft`) and hands it over right after
its commit (`handoff`): no poll, no re-read, no claim transaction. The other: `run` claims due rows
in batches (retries, answers queued behind an earlier one, other processes' leftovers, proactive
messages). Sends of different conversations run concurrently (at most MAX_IN_FLIGHT per channel); a
conversation has at most one row out at a time, because a row is only ever claimed when nothing
earlier of its conversation is undelivered. Rows that went out are marked sent in batches: one
transaction for every send that finished while the previous batch was committing.

Several processes (PostgreSQL): consecutive events of one customer may reach different processes. A
worker tells the others (NOTIFY) what it delivered before its "sent" commit, so their engines hand
the next answer over at once, as this process's own does (`delivered`); an answer that did queue
behind another process's row is claimed when that row's batched "sent" notice arrives (`behind`).

Retries with exponential backoff and full jitter (honouring a platform's Retry-After); after
`delivery_max_attempts` the row is dead and a ticket tells the agents. A permanent failure is dead at
once; an unreachable customer is marked so nothing more is sent. A crash mid-send leaves the row
'sending' with a lease; when the lease expires another worker takes it again (LINE's retry key and
reply-attempt mark make that resend harmless: docs/adr/0001-line-reply-exactly-once.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import random
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bus import Bus
from bot.channels import Delivery, Failed, Retry, Sender, SendResult, Sent, Unreachable
from bot.config import Settings
from bot.events import ConversationKey
from bot.instruments import Instruments
from bot.logs import hashed
from bot.replies import Rendered
from storage.db import Database
from storage.models import OutboxMessage
from storage.repositories import outbox
from storage.repositories.conversations import add_transcript
from storage.repositories.tickets import open_ticket

log = logging.getLogger(__name__)
# Short, and renewed every RENEW while a send is in progress: a live worker keeps its rows however slow
# the platform is, a dead one frees them within LEASE. Renewals cost nothing for sends faster than RENEW.
LEASE = dt.timedelta(seconds=6)
RENEW = 2.0
# Concurrent sends per channel: enough to keep a fast API busy, few enough for the HTTP pool (the
# senders size theirs to it) and the platform's own limits (Telegram's limiter sits in its sender).
MAX_IN_FLIGHT = 32
# Claimed sends started and not finished, beyond which the worker waits before claiming more (each
# holds a lease, renewed while it waits for one of the MAX_IN_FLIGHT slots).
CLAIMED_AHEAD = 4 * MAX_IN_FLIGHT
# How long a stopping worker lets the sends it started finish before it cancels them.
DRAIN = 5.0
# A conversation whose answer this process queued behind another is watched this long for that other
# row's "sent" (from any process); afterwards only the poll finds it.
BEHIND_TTL = 30.0
# Other processes hear here what this one delivered, before its "sent" commit.
DELIVERED = "outbox:delivered"
# Outbox ids per "sent" notification: well under NOTIFY's 8000 bytes, so other processes hear it.
SENT_CHUNK = 200


def backoff(attempt: int, base: float, cap: float, after: float | None = None) -> float:
    """Full-jitter exponential backoff; never sooner than the platform asked."""
    delay = random.uniform(0, min(cap, base * 2 ** max(attempt - 1, 0)))
    return max(delay, after or 0.0)


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed row on its way out: what the sender needs, plus what the worker records afterwards."""

    delivery: Delivery
    conversation_id: int
    # The reply-attempt mark is already committed with the claim (so the send commits nothing first).
    reply_marked: bool = False


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        bus: Bus,
        senders: Mapping[str, Sender],
        instruments: Instruments | None = None,
    ) -> None:
        self.db, self.settings, self.bus = db, settings, bus
        self.senders = dict(senders)
        self.instruments = instruments or Instruments()
        self._wake = asyncio.Event()
        self._stopping = False
        self._running = False
        self._slots: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(MAX_IN_FLIGHT))
        self._in_flight: set[int] = set()
        self._renewer: asyncio.Task[None] | None = None
        self._handed: set[asyncio.Task[None]] = set()
        self._sent: list[tuple[Job, int, asyncio.Future[None]]] = []
        # Delivered, "sent" not committed yet: outbox id -> conversation id (see `delivered`).
        self._unmarked: dict[int, int] = {}
        self._marker: asyncio.Task[None] | None = None
        # Rows that were queued behind another (not handed over): a finished send may have freed them.
        self._queued_hint = False
        # Conversations with an answer queued here behind a row another process may be sending:
        # conversation id -> when (monotonic). Its "sent" notification wakes this worker (see _forward).
        self._behind: dict[int, float] = {}
        # Rows other processes delivered and have not yet said are marked sent: outbox id ->
        # (conversation id, when). An answer behind one of them need not wait (see `delivered`).
        self._elsewhere: dict[int, tuple[int, float]] = {}

    def wake(self) -> None:
        self._queued_hint = True
        self._wake.set()

    def stop(self) -> None:
        """Finish the current pass and leave run()."""
        self._stopping = True
        self._wake.set()

    # The engine's side of the hand-over.
    def accepts(self, channel: str) -> bool:
        """True when a row of `channel` inserted leased to this process will be sent by it now."""
        return self._running and not self._stopping and channel in self.senders

    @staticmethod
    def lease_until(now: dt.datetime | None = None) -> dt.datetime:
        return (now or dt.datetime.now(dt.UTC)) + LEASE

    def delivered(self, conversation_id: int) -> list[int]:
        """This conversation's rows that went out and wait for their "sent" commit (here or in another
        process): an answer queued behind them only because that commit is slower than the customer
        need not wait."""
        ours = [oid for oid, conv in self._unmarked.items() if conv == conversation_id]
        return ours + [oid for oid, (conv, _) in self._elsewhere.items() if conv == conversation_id]

    def behind(self, conversation_id: int) -> None:
        """The engine queued an answer behind an earlier row of this conversation: claim it as soon as
        anyone (another process too) marks that row sent, not at the next poll."""
        self._behind.pop(conversation_id, None)
        self._behind[conversation_id] = time.monotonic()
        self.wake()

    def handoff(self, job: Job) -> None:
        """Send a committed row that is already leased to this process (see `accepts`)."""
        task = asyncio.create_task(self._deliver_job(job))
        self._handed.add(task)
        task.add_done_callback(self._handed.discard)

    async def run(self) -> None:
        """Until cancelled: deliver what is due, then sleep until woken or the next poll."""
        async with self.bus.subscribe("outbox") as sub, self.bus.subscribe(DELIVERED) as news:
            waker = asyncio.create_task(self._forward(sub))
            listener = asyncio.create_task(self._hear_delivered(news))
            self._running = True
            try:
                while not self._stopping:
                    try:
                        busy = await self._claim_and_start()
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        log.exception("delivery: pass failed; retrying shortly")
                        busy = False
                    if busy:
                        continue
                    # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation that
                    # arrives as the wait ends, and the worker then never stops.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.settings.delivery_poll_interval):
                            await self._wake.wait()
                    self._wake.clear()
            finally:
                self._running = False
                waker.cancel()
                listener.cancel()
                await self._drain()

    async def _drain(self) -> None:
        """Let handed-over sends finish (briefly): a cancelled one is only retried after its lease."""
        if self._handed:
            _, pending = await asyncio.wait(set(self._handed), timeout=DRAIN)
            for task in pending:
                task.cancel()

    async def _forward(self, sub: object) -> None:
        async for payload in sub:  # type: ignore[attr-defined]
            if "sent" not in payload:
                self.wake()
            else:
                sent = payload["sent"]  # a list; one id from a process of an older version
                for oid in sent if isinstance(sent, list) else [sent]:
                    self._elsewhere.pop(oid, None)
                if self._behind and any(c in self._behind for c in payload.get("conversations", ())):
                    # An answer queued here waited for this row (consecutive events of one customer
                    # handled by different processes): it is due now.
                    self._wake.set()

    async def _hear_delivered(self, sub: object) -> None:
        async for payload in sub:  # type: ignore[attr-defined]
            oid, conv = payload.get("outbox_id"), payload.get("conversation")
            if isinstance(oid, int) and isinstance(conv, int):
                self._elsewhere[oid] = (conv, time.monotonic())
                if len(self._elsewhere) > 1000:  # "sent" notices lost in bulk (a database outage)
                    self._forget_stale()

    async def run_once(self, limit: int = 50) -> bool:
        """One pass; True when it sent something (there may be more)."""
        claimed = await self._claim(limit)
        if not claimed:
            return False
        await asyncio.gather(*(self._deliver_job(j) for j in claimed))
        return True

    async def _claim_and_start(self, limit: int = 50) -> bool:
        """`run_once` without waiting for the sends: the claimed rows go out as handed-over ones do,
        and the next pass claims what became due meanwhile (an answer queued behind a row that was
        just marked sent) without waiting for the slowest send of this pass. True when it claimed.

        A conversation still gets one row out at a time: a claimed row is 'sending', so nothing
        later of its conversation is claimable until it is marked."""
        while len(self._handed) >= CLAIMED_AHEAD:
            await asyncio.wait(set(self._handed), return_when=asyncio.FIRST_COMPLETED)
        claimed = await self._claim(limit)
        for job in claimed:
            self.handoff(job)
        return bool(claimed)

    async def _claim(self, limit: int) -> list[Job]:
        """Claims due rows (one transaction); with none due, forgets what waited too long."""
        if not self.senders:
            return []
        now = dt.datetime.now(dt.UTC)
        async with self.db.write() as s:
            rows = await outbox.claim_due_marked(s, list(self.senders), now, limit, LEASE)
            claimed = [Job(_delivery(r, marked), r.conversation_id, marked) for r, marked in rows]
        for job in claimed:
            self._behind.pop(job.conversation_id, None)
        if not claimed:
            if not self._in_flight:
                self._queued_hint = False
            self._forget_stale()
        return claimed

    def _forget_stale(self) -> None:
        # Oldest first (insertion order): whatever still waits after BEHIND_TTL is left to the poll.
        now = time.monotonic()
        while self._behind:
            conv, since = next(iter(self._behind.items()))
            if since >= now - BEHIND_TTL:
                break
            del self._behind[conv]
        # A "sent" notice that never came (lost, or the other process died before its commit): the
        # row's lease decides again, as for any row.
        while self._elsewhere:
            oid, (_, since) = next(iter(self._elsewhere.items()))
            if since >= now - LEASE.total_seconds():
                break
            del self._elsewhere[oid]

    async def _deliver_job(self, job: Job) -> None:
        oid = job.delivery.outbox_id
        self._in_flight.add(oid)
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew())
        try:
            await self._deliver(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The row stays leased and is retried after LEASE; the pass or hand-over goes on.
            log.exception("delivery: recording the result failed", extra={"outbox_id": oid})
        finally:
            self._in_flight.discard(oid)

    async def _renew(self) -> None:
        """Extend the lease of the rows still being sent, every RENEW seconds, while there are any."""
        while self._in_flight:
            await asyncio.sleep(RENEW)
            ids = sorted(self._in_flight)
            if not ids:
                return
            try:
                async with self.db.write() as s:
                    await outbox.renew_lease(s, ids, dt.datetime.now(dt.UTC) + LEASE)
            except Exception:
                # A missed renewal only risks a second worker taking the row, which the idempotency
                # keys make harmless; it must not stop the sends themselves.
                log.warning("delivery: lease renewal failed", exc_info=True)

    async def _deliver(self, job: Job) -> None:
        """Send one claimed row and record the outcome."""
        d = job.delivery
        sender = self.senders[d.key.channel]
        marked = job.reply_marked

        async def progress(n: int) -> None:
            async with self.db.write() as s:
                await outbox.record_progress(s, d.outbox_id, n)

        async def reply_attempt(attempted: bool) -> None:
            # Committed before the reply request leaves: a crash or a lost answer after this point
            # is recognised by the next attempt (docs/adr/0001-line-reply-exactly-once.md). When the
            # claim already carried the mark, only withdrawing it needs a commit.
            if attempted and marked:
                return
            async with self.db.write() as s:
                await outbox.mark_reply_attempt(
                    s, d.outbox_id, dt.datetime.now(dt.UTC) if attempted else None
                )

        d = dataclasses.replace(d, progress=progress, reply_attempt=reply_attempt)
        try:
            # The slot bounds the requests to the platform only: recording the outcome waits for the
            # database, and must not keep the next answers from going out meanwhile.
            async with self._slots[d.key.channel]:
                result: SendResult = await sender.send(d)
        except Exception as exc:
            log.warning(
                "delivery: sender raised", extra={"outbox_id": d.outbox_id, "error": type(exc).__name__}
            )
            result = Retry(type(exc).__name__, d.parts_sent)
        if isinstance(result, Sent):
            if self.bus.crosses_processes:
                # Before the "sent" commit, which under load takes a while: the customer's next
                # event may reach another process before it (see `delivered`).
                await self.bus.publish(
                    DELIVERED, {"outbox_id": d.outbox_id, "conversation": job.conversation_id}, here=False
                )
            await self._mark_sent(job, result.parts_sent)
        else:
            await self._record(d, result)

    async def _mark_sent(self, job: Job, parts: int) -> None:
        """Wait until this row is marked sent, together with every other send finished meanwhile."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._unmarked[job.delivery.outbox_id] = job.conversation_id
        self._sent.append((job, parts, done))
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._mark_batches())
        await done

    async def _mark_batches(self) -> None:
        while self._sent:
            batch, self._sent = self._sent, []
            try:
                async with self.db.single() as s:
                    await outbox.mark_sent(
                        s, [(j.delivery.outbox_id, n) for j, n, _ in batch], dt.datetime.now(dt.UTC)
                    )
            except Exception as exc:
                for job, _, done in batch:
                    self._unmarked.pop(job.delivery.outbox_id, None)
                    if not done.done():
                        done.set_exception(exc)
                continue
            for job, _, done in batch:
                self._unmarked.pop(job.delivery.outbox_id, None)
                if not done.done():
                    done.set_result(None)
                c, oid = job.conversation_id, job.delivery.outbox_id
                await self.bus.publish(f"delivery:{c}", {"outbox_id": oid, "status": "sent"})
                await self.bus.publish(f"{job.delivery.key.channel}:{c}", {"outbox_id": oid})
                await self.bus.publish(f"conversation:{c}", {"conversation_id": c})
            # One "outbox" notice per batch (in chunks that fit a NOTIFY): a worker with an answer
            # queued behind one of these rows claims it now (any process: see _forward), and streams
            # waiting for a new conversation's first row read again (workers need no pass otherwise).
            for i in range(0, len(batch), SENT_CHUNK):
                chunk = batch[i : i + SENT_CHUNK]
                await self.bus.publish(
                    "outbox",
                    {
                        "sent": [j.delivery.outbox_id for j, _, _ in chunk],
                        "conversations": sorted({j.conversation_id for j, _, _ in chunk}),
                    },
                )
            if self._queued_hint:
                # An answer queued behind one of these rows is due now, not at the next poll.
                self._wake.set()

    async def _record(self, d: Delivery, result: SendResult) -> None:
        """Anything but Sent (rare): one row at a time, with its ticket or unreachable mark."""
        now = dt.datetime.now(dt.UTC)
        publish: list[tuple[str, dict[str, object]]] = []
        async with self.db.write() as s:
            row = await outbox.get(s, d.outbox_id)
            if row is None:
                return
            match result:
                case Retry(error=err, parts_sent=n, after=after, status=status):
                    row.parts_sent = max(row.parts_sent, n)
                    row.last_error = err[:500]
                    self._count(d.key.channel, status)
                    if row.attempts >= self.settings.delivery_max_attempts:
                        await self._dead(s, row, f"gave up after {row.attempts} attempts: {err}")
                        publish.append(("tickets", {"outbox_id": row.id}))
                    else:
                        delay = backoff(
                            row.attempts,
                            self.settings.delivery_base_delay,
                            self.settings.delivery_max_delay,
                            after,
                        )
                        row.status, row.locked_until = "pending", None
                        row.next_attempt_at = now + dt.timedelta(seconds=delay)
                case Failed(error=err, parts_sent=n, status=status):
                    row.parts_sent = max(row.parts_sent, n)
                    self._count(d.key.channel, status)
                    await self._dead(s, row, err)
                    publish.append(("tickets", {"outbox_id": row.id}))
                case Unreachable(error=err):
                    self._count(d.key.channel, 403)
                    await outbox.mark_unreachable(s, row, err, now)
            publish.append((f"conversation:{row.conversation_id}", {"conversation_id": row.conversation_id}))
        for topic, payload in publish:
            await self.bus.publish(topic, payload)
        log.info(
            "delivery %s",
            type(result).__name__.lower(),
            extra={
                "outbox_id": d.outbox_id,
                "channel": d.key.channel,
                "customer": hashed(d.key),
                "attempt": d.attempts,
            },
        )

    def _count(self, channel: str, status: int | None) -> None:
        self.instruments.delivery_failed(channel, status)

    async def _dead(self, s: AsyncSession, row: OutboxMessage, reason: str) -> None:
        row.status, row.last_error, row.locked_until = "dead", reason[:500], None
        await open_ticket(
            s,
            row.conversation_id,
            "delivery_failed",
            "normal",
            f"A reply could not be delivered ({reason[:200]}). Please contact the customer another way.",
        )
        add_transcript(s, row.conversation_id, "system", f"Delivery failed: {reason[:200]}", outbox_id=row.id)


def handed_over(
    enqueued: outbox.Enqueued,
    conversation_id: int,
    key: ConversationKey,
    messages: tuple[Rendered, ...],
    reply_token: str | None,
    reply_token_expires_at: dt.datetime | None,
) -> Job:
    """The Job for a row the engine just inserted leased to us: built from memory, never re-read."""
    delivery = Delivery(
        outbox_id=enqueued.id,
        key=key,
        messages=messages,
        parts_sent=0,
        idempotency_key=enqueued.idempotency_key,
        attempts=1,
        source="bot",
        created_at=enqueued.created_at,
        reply_token=reply_token,
        reply_token_expires_at=reply_token_expires_at,
    )
    return Job(delivery, conversation_id, enqueued.reply_marked)


def _delivery(row: OutboxMessage, marked: bool = False) -> Delivery:
    return Delivery(
        outbox_id=row.id,
        key=ConversationKey(row.channel, row.user_id),
        messages=tuple(Rendered.from_json(m) for m in row.payload.get("messages", ())),
        parts_sent=row.parts_sent,
        idempotency_key=row.idempotency_key,
        attempts=row.attempts,
        source=row.source,
        created_at=row.created_at,
        reply_token=row.reply_token,
        reply_token_expires_at=row.reply_token_expires_at,
        # A mark set by this very claim says nothing about earlier attempts: none replied.
        reply_attempted=row.reply_attempted_at is not None and not marked,
    )
