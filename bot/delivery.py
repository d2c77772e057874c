"""The outbox worker: sends committed rows through their channel, in order per conversation.

Retries with exponential backoff and full jitter (honouring a platform's Retry-After); after
`delivery_max_attempts` the row is dead and a ticket tells the agents. A permanent failure is dead at
once; an unreachable customer is marked so nothing more is sent. A crash mid-send leaves the row
'sending' with a lease; when the lease expires another worker takes it again (LINE's retry key makes
that resend harmless; see docs/telegram.md for Telegram).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import random
from collections.abc import Mapping

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bus import Bus
from bot.channels import Delivery, Failed, Retry, Sender, SendResult, Sent, Unreachable
from bot.config import Settings
from bot.events import ConversationKey
from bot.instruments import Instruments
from bot.logs import hashed
from bot.replies import Rendered
from storage.db import Database
from storage.models import ChannelIdentity, OutboxMessage
from storage.repositories import outbox
from storage.repositories.conversations import add_transcript
from storage.repositories.tickets import open_ticket

log = logging.getLogger(__name__)
# Short, and renewed every RENEW while a send is in progress: a live worker keeps its rows however slow
# the platform is, a dead one frees them within LEASE. Renewals cost nothing for sends faster than RENEW.
LEASE = dt.timedelta(seconds=6)
RENEW = 2.0


def backoff(attempt: int, base: float, cap: float, after: float | None = None) -> float:
    """Full-jitter exponential backoff; never sooner than the platform asked."""
    delay = random.uniform(0, min(cap, base * 2 ** max(attempt - 1, 0)))
    return max(delay, after or 0.0)


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

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the current pass and leave run()."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled: deliver what is due, then sleep until woken or the next poll."""
        async with self.bus.subscribe("outbox") as sub:
            waker = asyncio.create_task(self._forward(sub))
            try:
                while not self._stopping:
                    try:
                        busy = await self.run_once()
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
                waker.cancel()

    async def _forward(self, sub: object) -> None:
        async for _ in sub:  # type: ignore[attr-defined]
            self._wake.set()

    async def run_once(self, limit: int = 50) -> bool:
        """One pass; True when it sent something (there may be more)."""
        if not self.senders:
            return False
        now = dt.datetime.now(dt.UTC)
        async with self.db.write() as s:
            rows = await outbox.claim_due(s, list(self.senders), now, limit, LEASE)
            claimed = [_delivery(r) for r in rows]
        if not claimed:
            return False
        # Different conversations go out concurrently; one conversation's rows stay in order because
        # claim_due only ever hands out its oldest undelivered row.
        in_flight = {d.outbox_id for d in claimed}
        renewer = asyncio.create_task(self._renew(in_flight))
        try:
            await asyncio.gather(*(self._deliver(d, in_flight) for d in claimed))
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        return True

    async def _renew(self, in_flight: set[int]) -> None:
        """Extend the lease of the rows still being sent, every RENEW seconds, until cancelled."""
        while in_flight:
            await asyncio.sleep(RENEW)
            ids = sorted(in_flight)
            if not ids:
                return
            try:
                async with self.db.write() as s:
                    await outbox.renew_lease(s, ids, dt.datetime.now(dt.UTC) + LEASE)
            except Exception:
                # A missed renewal only risks a second worker taking the row, which the idempotency
                # keys make harmless; it must not stop the sends themselves.
                log.warning("delivery: lease renewal failed", exc_info=True)

    async def _deliver(self, d: Delivery, in_flight: set[int] | None = None) -> None:
        sender = self.senders[d.key.channel]

        async def progress(n: int) -> None:
            async with self.db.write() as s:
                await outbox.record_progress(s, d.outbox_id, n)

        async def reply_attempt(attempted: bool) -> None:
            # Committed before the reply request leaves: a crash or a lost answer after this point
            # is recognised by the next attempt (docs/adr/0001-line-reply-exactly-once.md).
            async with self.db.write() as s:
                await outbox.mark_reply_attempt(
                    s, d.outbox_id, dt.datetime.now(dt.UTC) if attempted else None
                )

        d = dataclasses.replace(d, progress=progress, reply_attempt=reply_attempt)
        try:
            result: SendResult = await sender.send(d)
        except Exception as exc:
            log.warning(
                "delivery: sender raised", extra={"outbox_id": d.outbox_id, "error": type(exc).__name__}
            )
            result = Retry(type(exc).__name__, d.parts_sent)
        await self._record(d, result)
        if in_flight is not None:
            in_flight.discard(d.outbox_id)

    async def _record(self, d: Delivery, result: SendResult) -> None:
        now = dt.datetime.now(dt.UTC)
        publish: list[tuple[str, dict[str, object]]] = []
        async with self.db.write() as s:
            row = await s.get(OutboxMessage, d.outbox_id)
            if row is None:
                return
            match result:
                case Sent(parts_sent=n):
                    row.status, row.parts_sent, row.sent_at, row.last_error = "sent", n, now, None
                    row.locked_until = None
                    publish.append(
                        (f"delivery:{row.conversation_id}", {"outbox_id": row.id, "status": "sent"})
                    )
                    publish.append((f"{d.key.channel}:{row.conversation_id}", {"outbox_id": row.id}))
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
                    row.status, row.last_error, row.locked_until = "dead", f"unreachable: {err}"[:500], None
                    await s.execute(
                        update(ChannelIdentity)
                        .where(
                            ChannelIdentity.channel == d.key.channel, ChannelIdentity.user_id == d.key.user_id
                        )
                        .values(unreachable_at=now)
                    )
                    await outbox.cancel_pending(s, row.conversation_id, "customer unreachable")
            publish.append((f"conversation:{row.conversation_id}", {"conversation_id": row.conversation_id}))
        for topic, payload in publish:
            await self.bus.publish(topic, payload)
        if not isinstance(result, Sent):
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


def _delivery(row: OutboxMessage) -> Delivery:
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
        reply_attempted=row.reply_attempted_at is not None,
    )
