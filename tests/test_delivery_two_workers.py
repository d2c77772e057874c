"""Consecutive events of one customer handled by two processes (a load balancer alternating). The second
answer waits behind the first while the other process is still sending it, and goes out the moment that
one is marked sent — woken by the other process's notification, not at the next poll. Once the first
went out, the second does not even wait for its "sent" commit: the other process said it was delivered."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from bot.bus import Bus, pg_dsn_from_url
from bot.channels import Delivery, SendResult
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.engine import Engine
from storage.db import Database
from storage.models import OutboxMessage
from tests.support.collecting import CollectingSender, event
from tests.support.wait import eventually

pytestmark = pytest.mark.postgres


@dataclass
class GatedSender(CollectingSender):
    """Holds every send until `gate` is set: a row stays 'sending' in this process meanwhile."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: list[int] = field(default_factory=list)

    async def send(self, delivery: Delivery) -> SendResult:
        self.arrived.append(delivery.outbox_id)
        await self.gate.wait()
        return await super().send(delivery)


@dataclass
class Process:
    db: Database
    bus: Bus
    engine: Engine
    worker: DeliveryWorker
    sender: CollectingSender


class SlowMarking(DeliveryWorker):
    """Commits "sent" only once `gate` is set: a delivered row stays 'sending' meanwhile."""

    gate = asyncio.Event()

    async def _mark_batches(self) -> None:
        await self.gate.wait()
        await super()._mark_batches()


@contextlib.asynccontextmanager
async def process(
    settings: Settings, sender: CollectingSender, worker_type: type[DeliveryWorker] = DeliveryWorker
) -> AsyncIterator[Process]:
    db = Database(settings.database_url)
    bus = Bus(pg_dsn_from_url(settings.database_url))
    await bus.start()
    engine = Engine(db, settings, bus)
    worker = worker_type(db, settings, bus, {"webchat": sender})
    engine.delivery = worker
    task = asyncio.create_task(worker.run())
    try:
        await eventually(lambda: worker.accepts("webchat"), timeout=5)
        yield Process(db, bus, engine, worker, sender)
    finally:
        worker.stop()
        if isinstance(sender, GatedSender):
            sender.gate.set()
        if isinstance(worker, SlowMarking):
            worker.gate.set()
        await asyncio.wait_for(task, 10)
        await bus.stop()
        await db.dispose()


async def statuses(db: Database) -> list[str]:
    async with db.read() as s:
        return list((await s.execute(select(OutboxMessage.status).order_by(OutboxMessage.id))).scalars())


async def _all_sent(db: Database) -> bool:
    return await statuses(db) == ["sent", "sent"]


async def test_an_answer_queued_behind_another_processes_row_goes_when_that_row_is_marked_not_at_the_poll(
    pg_url: str, settings_for: Callable[..., Settings]
) -> None:
    # A poll far beyond the wait below: only a notification can explain a prompt second answer.
    settings = settings_for(pg_url, delivery_poll_interval=120.0)
    first_sender, second_sender = GatedSender(), CollectingSender()
    async with process(settings, first_sender) as a, process(settings, second_sender) as b:
        await a.engine.handle(event("mina", "hello"))
        await eventually(lambda: first_sender.arrived, timeout=10)  # handed over, held at the gate
        await b.engine.handle(event("mina", "menu"))
        assert await statuses(b.db) == ["sending", "pending"]

        first_sender.gate.set()
        await eventually(lambda: second_sender.sent, timeout=10)
        assert await eventually(lambda: _all_sent(b.db), timeout=10)
        assert [d.outbox_id for d in first_sender.sent] < [d.outbox_id for d in second_sender.sent]
        assert len(first_sender.sent) == len(second_sender.sent) == 1


async def test_an_answer_behind_a_row_another_process_delivered_goes_before_that_row_is_marked(
    pg_url: str, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(pg_url, delivery_poll_interval=120.0)
    SlowMarking.gate = asyncio.Event()
    first_sender, second_sender = CollectingSender(), CollectingSender()
    async with (
        process(settings, first_sender, SlowMarking) as a,
        process(settings, second_sender) as b,
    ):
        first = await a.engine.handle(event("nora", "hello"))
        assert first.conversation_id is not None
        await eventually(lambda: first_sender.sent, timeout=10)
        await eventually(lambda: b.worker.delivered(first.conversation_id or 0), timeout=10)
        assert await statuses(b.db) == ["sending"]  # delivered, not yet marked

        await b.engine.handle(event("nora", "menu"))
        await eventually(lambda: second_sender.sent, timeout=10)
        assert await statuses(b.db) in (["sending", "sending"], ["sending", "sent"])

        SlowMarking.gate.set()
        assert await eventually(lambda: _all_sent(b.db), timeout=10)
        assert [d.outbox_id for d in first_sender.sent] < [d.outbox_id for d in second_sender.sent]
        # Marked sent: the other process forgets it.
        await eventually(lambda: not b.worker.delivered(first.conversation_id or 0), timeout=10)
