"""Helpers for the ops tests: customers with bookings, linked chat identities, conversations."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.engine import Engine
from storage.db import Database
from storage.models import Booking, ChannelIdentity, Customer, Job, OutboxMessage
from tests.support.collecting import event

_refs = itertools.count(1)


@dataclass
class Seeded:
    customer_id: int
    booking_id: int
    reference: str


async def seed_booking(
    db: Database,
    service_at: dt.datetime,
    *,
    timezone: str | None = "Asia/Shanghai",
    status: str = "confirmed",
    requested_at: dt.datetime | None = None,
    confirmed_at: dt.datetime | None = None,
    paid: bool = False,
    customer_id: int | None = None,
    clinic: str = "Ginza Clinic",
) -> Seeded:
    now = dt.datetime.now(dt.UTC)
    async with db.write() as s:
        if customer_id is None:
            customer = Customer(
                full_name="Test Customer", timezone=timezone, locale="en", no_show_count=0,
                created_at=now, updated_at=now,
            )  # fmt: skip
            s.add(customer)
            await s.flush()
            customer_id = customer.id
        reference = f"BK-T{next(_refs):04d}"
        booking = Booking(
            reference=reference, customer_id=customer_id, clinic=clinic, kind="surgery",
            service_at=service_at, fee_total_jpy=30000, requested_at=requested_at or now - dt.timedelta(days=10),
            confirmed_at=confirmed_at or now - dt.timedelta(days=9), status=status,
            paid_at=now if paid else None, created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(booking)
        await s.flush()
        return Seeded(customer_id, booking.id, reference)


async def chat_as(engine: Engine, channel: str, user: str, customer_id: int, text: str = "hello") -> int:
    """A conversation on `channel` for `user`, linked to the customer; returns the conversation id."""
    result = await engine.handle(event(user, text, channel=channel))
    assert result.conversation_id is not None
    async with engine.db.write() as s:
        identity = (
            await s.execute(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.user_id == user
                )
            )
        ).scalar_one()
        identity.customer_id = customer_id
        identity.linked_at = dt.datetime.now(dt.UTC)
    return result.conversation_id


async def mark_unreachable(db: Database, channel: str, user: str) -> None:
    async with db.write() as s:
        identity = (
            await s.execute(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.user_id == user
                )
            )
        ).scalar_one()
        identity.unreachable_at = dt.datetime.now(dt.UTC)


async def reminders(db: Database) -> list[OutboxMessage]:
    async with db.read() as s:
        rows = await s.execute(
            select(OutboxMessage).where(OutboxMessage.source == "reminder").order_by(OutboxMessage.id)
        )
        return list(rows.scalars())


async def jobs(db: Database) -> list[Job]:
    async with db.read() as s:
        return list((await s.execute(select(Job).order_by(Job.id))).scalars())


async def count(db: Database, model: type, *where: object) -> int:
    async with db.read() as s:
        return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())
