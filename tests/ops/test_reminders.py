"""Reminders: the day before an appointment and two days before a payment deadline, once, in the
customer's channel and language, never for a cancelled booking or to an unreachable identity."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from bot.bus import Bus
from bot.config import Settings
from bot.engine import Engine
from bot.events import ChoiceIn
from bot.i18n import JST
from bot.reminders import APPOINTMENT, APPOINTMENT_OPTIONS, PAYMENT, PAYMENT_OPTIONS, Reminders
from bot.scheduler import JobRun, Scheduler
from storage.db import Database
from storage.models import Booking, Conversation, Job, OutboxMessage
from storage.repositories import jobs as jobs_repo
from tests.ops.support import Seeded, chat_as, jobs, mark_unreachable, reminders, seed_booking
from tests.support.collecting import event

TODAY = dt.datetime.now(JST).date()


def jst(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=JST).astimezone(dt.UTC)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@dataclass
class World:
    db: Database
    engine: Engine
    reminders: Reminders
    scheduler: Scheduler

    async def plan_and_run(self, kind: str | None = None) -> list[Job]:
        """Plan now, then run every planned job at its time (their times may be later today)."""
        await self.scheduler.plan(dt.datetime.now(dt.UTC))
        planned = [j for j in await jobs(self.db) if kind is None or j.kind == kind]
        for job in planned:
            await self.scheduler.run_once(max(job.run_at, dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=1))
        return await jobs(self.db)


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    db = Database(settings.database_url)
    engine = Engine(db, settings, Bus())
    rem = Reminders(engine, settings)
    try:
        yield World(db, engine, rem, Scheduler(db, rem.handlers(), [rem.plan]))
    finally:
        await db.dispose()


def only_message(row: OutboxMessage) -> dict[str, Any]:
    [message] = row.payload["messages"]
    assert isinstance(message, dict)
    return message


async def tomorrow_booking(w: World, **kw: Any) -> Seeded:
    return await seed_booking(w.db, jst(days(1), 14, 30), **kw)


async def test_the_day_before_the_customer_is_reminded_with_times_clinic_and_buttons(world: World) -> None:
    seeded = await tomorrow_booking(world, timezone="Asia/Shanghai")
    conv = await chat_as(world.engine, "telegram", "5550001", seeded.customer_id, "Hello, I have a question")
    [job] = await world.plan_and_run()
    assert job.key == f"reminder:appointment:{seeded.booking_id}:{days(1).isoformat()}"
    assert job.run_at == jst(TODAY, 10)  # settings.reminder_time, JST, the day before
    assert (job.status, job.data["outcome"]) == ("done", job.data["outcome"])
    assert job.data["outcome"].startswith("sent")

    [row] = await reminders(world.db)
    assert (row.conversation_id, row.channel, row.user_id) == (conv, "telegram", "5550001")
    message = only_message(row)
    text = message["text"]
    assert "Reminder for tomorrow" in text and "Ginza Clinic" in text and seeded.reference in text
    assert "2:30" in text and "(JST)" in text  # JST first...
    assert "1:30" in text and "(Shanghai)" in text  # ...and the customer's own zone beside it
    assert tuple(o["id"] for o in message["options"]) == APPOINTMENT_OPTIONS
    assert [o["label"] for o in message["options"]] == [
        "I'll be late",
        "I need to change",
        "I need to cancel",
    ]

    # "I need to cancel" enters the cancellation flow directly.
    await world.engine.handle(
        event("5550001", ChoiceIn("cancellation", message["token"]), channel="telegram")
    )
    async with world.db.read() as s:
        stack = (await s.execute(select(Conversation.stack).where(Conversation.id == conv))).scalar_one()
        last = (
            (
                await s.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.conversation_id == conv)
                    .order_by(OutboxMessage.id.desc())
                )
            )
            .scalars()
            .first()
        )
    assert "cancellation" in [f["dialog"] for f in stack["frames"]]
    assert last is not None and last.source == "bot"
    assert "earlier message" not in str(last.payload)


async def test_a_second_pass_and_a_second_scheduler_send_nothing_more(
    world: World, settings: Settings
) -> None:
    seeded = await tomorrow_booking(world)
    await chat_as(world.engine, "line", "U" + "1" * 32, seeded.customer_id)
    await world.plan_and_run()
    await world.plan_and_run()
    other_db = Database(settings.database_url)
    try:
        other_engine = Engine(other_db, settings, Bus())
        rem = Reminders(other_engine, settings)
        other = Scheduler(other_db, rem.handlers(), [rem.plan])
        await other.plan(dt.datetime.now(dt.UTC))
        assert await other.run_once(jst(days(1), 9)) == 0
    finally:
        await other_db.dispose()
    assert len(await reminders(world.db)) == 1


async def test_two_schedulers_racing_send_each_reminder_exactly_once(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    """Two 'processes' (own pools, engines and schedulers) plan and run the same moment, many times."""
    settings = settings_for(db_url)
    dbs = [Database(settings.database_url) for _ in range(2)]
    try:
        engines = [Engine(db, settings, Bus()) for db in dbs]
        customers = []
        for i in range(6):
            seeded = await seed_booking(dbs[0], jst(days(1), 9 + i))
            await chat_as(engines[0], "telegram", str(7000 + i), seeded.customer_id)
            customers.append(seeded)
        schedulers = []
        for db, engine in zip(dbs, engines, strict=True):
            rem = Reminders(engine, settings, db)
            schedulers.append(Scheduler(db, rem.handlers(), [rem.plan]))
        now = dt.datetime.now(dt.UTC)
        await asyncio.gather(*(s.plan(now) for s in schedulers for _ in range(3)))
        at = max(jst(TODAY, 10), now) + dt.timedelta(seconds=1)
        ran = await asyncio.gather(*(s.run_once(at) for s in schedulers for _ in range(3)))
        assert sum(ran) == 6
        sent = await reminders(dbs[0])
        assert sorted(r.user_id for r in sent) == [str(7000 + i) for i in range(6)]
        assert {j.status for j in await jobs(dbs[0])} == {"done"}
    finally:
        for db in dbs:
            await db.dispose()


async def test_no_reminder_for_a_cancelled_booking(world: World) -> None:
    cancelled = await tomorrow_booking(world, status="cancelled")
    await chat_as(world.engine, "telegram", "5550002", cancelled.customer_id)
    assert await world.plan_and_run() == []  # not even planned
    # Cancelled after the reminder was planned: the job runs and skips.
    live = await tomorrow_booking(world, customer_id=cancelled.customer_id)
    await world.scheduler.plan(dt.datetime.now(dt.UTC))
    async with world.db.write() as s:
        booking = await s.get(Booking, live.booking_id)
        assert booking is not None
        booking.status = "cancelled"
    [job] = await world.plan_and_run()
    assert (job.status, job.data["outcome"]) == ("done", "skipped: booking cancelled")
    assert await reminders(world.db) == []


async def test_a_moved_booking_is_reminded_for_its_new_day_only(world: World) -> None:
    seeded = await tomorrow_booking(world)
    await chat_as(world.engine, "telegram", "5550003", seeded.customer_id)
    await world.scheduler.plan(dt.datetime.now(dt.UTC))
    async with world.db.write() as s:
        booking = await s.get(Booking, seeded.booking_id)
        assert booking is not None
        booking.service_at = jst(days(2), 11)
    await world.scheduler.plan(dt.datetime.now(dt.UTC))
    today_run = max(jst(TODAY, 10), dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=1)
    assert await world.scheduler.run_once(today_run) == 1
    state = {j.key.rsplit(":", 1)[1]: (j.status, j.data.get("outcome")) for j in await jobs(world.db)}
    assert state == {
        days(1).isoformat(): ("done", "skipped: booking moved"),
        days(2).isoformat(): ("pending", None),
    }
    assert await reminders(world.db) == []
    assert await world.scheduler.run_once(jst(days(1), 10, 1)) == 1
    [row] = await reminders(world.db)
    assert "Reminder for tomorrow" in only_message(row)["text"]


async def test_not_to_an_unreachable_identity_but_to_a_reachable_one(world: World) -> None:
    seeded = await tomorrow_booking(world)
    line_conv = await chat_as(world.engine, "line", "U" + "2" * 32, seeded.customer_id)
    await chat_as(world.engine, "telegram", "5550004", seeded.customer_id)  # the most recent
    await mark_unreachable(world.db, "telegram", "5550004")
    await world.plan_and_run()
    [row] = await reminders(world.db)
    assert (row.conversation_id, row.channel) == (line_conv, "line")


async def test_nothing_when_every_identity_is_unreachable(world: World) -> None:
    seeded = await tomorrow_booking(world)
    await chat_as(world.engine, "telegram", "5550005", seeded.customer_id)
    await mark_unreachable(world.db, "telegram", "5550005")
    [job] = await world.plan_and_run()
    assert job.data["outcome"] == "skipped: no reachable conversation"
    assert await reminders(world.db) == []


async def test_the_payment_reminder_two_days_before_the_due_date_unless_paid(world: World) -> None:
    # Requested yesterday for an appointment 3 days out: 3 days to pay, due in 2 days (RULES.md §3).
    yesterday = jst(days(-1), 12)
    kw: dict[str, Any] = {"requested_at": yesterday, "confirmed_at": yesterday}
    unpaid = await seed_booking(world.db, jst(days(3), 15), **kw)
    paid = await seed_booking(world.db, jst(days(3), 16), paid=True, **kw)
    paid_later = await seed_booking(world.db, jst(days(3), 17), **kw)
    for i, seeded in enumerate((unpaid, paid, paid_later)):
        await chat_as(world.engine, "telegram", str(8000 + i), seeded.customer_id)
    await world.scheduler.plan(dt.datetime.now(dt.UTC))
    async with world.db.write() as s:
        booking = await s.get(Booking, paid_later.booking_id)
        assert booking is not None
        booking.paid_at = dt.datetime.now(dt.UTC)
    done = await world.plan_and_run(PAYMENT)
    assert {j.key for j in done} == {
        f"reminder:payment:{unpaid.booking_id}:{days(2).isoformat()}",
        f"reminder:payment:{paid_later.booking_id}:{days(2).isoformat()}",
    }
    assert sorted(j.data["outcome"][:7] for j in done) == ["sent (o", "skipped"]
    [row] = await reminders(world.db)
    assert row.user_id == "8000"
    message = only_message(row)
    assert unpaid.reference in message["text"] and "¥30,000" in message["text"]
    assert tuple(o["id"] for o in message["options"]) == PAYMENT_OPTIONS


async def test_a_worker_that_died_after_writing_the_reminder_is_not_repeated(world: World) -> None:
    seeded = await tomorrow_booking(world)
    await chat_as(world.engine, "telegram", "5550006", seeded.customer_id)
    await world.scheduler.plan(dt.datetime.now(dt.UTC))
    # Early enough that the retry after the lease is still on the reminder's day (run at 23:57 JST,
    # the retry fell on the next day and was "too late").
    latest = jst(TODAY, 23, 50)
    at = min(max(jst(TODAY, 10), dt.datetime.now(dt.UTC)), latest) + dt.timedelta(seconds=1)
    async with world.db.write() as s:
        [claimed] = await jobs_repo.claim_due(s, at, 10, world.scheduler.config.lease, [APPOINTMENT])
    # The first worker wrote the reminder and died before marking the job done.
    assert (await world.reminders.appointment(JobRun(claimed, at, world.db))).startswith("sent")
    assert await world.scheduler.run_once(at + world.scheduler.config.lease + dt.timedelta(seconds=1)) == 1
    [job] = await jobs(world.db)
    assert (job.status, job.attempts, job.data["outcome"]) == ("done", 2, "sent (by an earlier attempt)")
    assert len(await reminders(world.db)) == 1
