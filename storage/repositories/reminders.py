"""The queries behind reminders (bot.reminders): bookings coming up, where to reach their customer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Booking, ChannelIdentity, Conversation, OutboxMessage


async def appointments_between(session: AsyncSession, start: dt.datetime, end: dt.datetime) -> list[Booking]:
    """Confirmed bookings of a known customer with the service in [start, end)."""
    rows = await session.execute(
        select(Booking)
        .where(
            Booking.status == "confirmed",
            Booking.customer_id.is_not(None),
            Booking.service_at >= start,
            Booking.service_at < end,
        )
        .order_by(Booking.service_at, Booking.id)
    )
    return list(rows.scalars())


async def unpaid_confirmed_since(session: AsyncSession, since: dt.datetime) -> list[Booking]:
    """Confirmed, unpaid bookings of a known customer confirmed since `since` (their due date is near)."""
    rows = await session.execute(
        select(Booking)
        .where(
            Booking.status == "confirmed",
            Booking.customer_id.is_not(None),
            Booking.paid_at.is_(None),
            Booking.requested_at.is_not(None),
            Booking.confirmed_at >= since,
        )
        .order_by(Booking.id)
    )
    return list(rows.scalars())


async def booking(session: AsyncSession, booking_id: int) -> Booking | None:
    return await session.get(Booking, booking_id, populate_existing=True)


async def reachable_conversation(session: AsyncSession, customer_id: int) -> int | None:
    """The customer's most recently active conversation on an identity that can still be reached."""
    row = await session.execute(
        select(Conversation.id)
        .join(
            ChannelIdentity,
            and_(
                ChannelIdentity.channel == Conversation.channel,
                ChannelIdentity.user_id == Conversation.user_id,
            ),
        )
        .where(ChannelIdentity.customer_id == customer_id, ChannelIdentity.unreachable_at.is_(None))
        .order_by(Conversation.last_event_at.desc().nulls_last(), Conversation.id.desc())
        .limit(1)
    )
    found: int | None = row.scalar_one_or_none()
    return found


async def last_outbox_id(session: AsyncSession, conversation_id: int) -> int:
    row = await session.execute(
        select(func.coalesce(func.max(OutboxMessage.id), 0)).where(
            OutboxMessage.conversation_id == conversation_id
        )
    )
    return int(row.scalar_one())


async def reminders_after(session: AsyncSession, conversation_id: int, after_id: int) -> list[dict[str, Any]]:
    """Payloads of reminder rows written to a conversation after outbox id `after_id`."""
    rows = await session.execute(
        select(OutboxMessage.payload).where(
            OutboxMessage.conversation_id == conversation_id,
            OutboxMessage.id > after_id,
            OutboxMessage.source == "reminder",
        )
    )
    return [dict(p) for p in rows.scalars()]
