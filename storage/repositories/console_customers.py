"""Customers, bookings, identities and a conversation's surroundings, as the console reads and edits them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Agent,
    Booking,
    ChannelIdentity,
    Conversation,
    Customer,
    OutboxMessage,
    Request,
    SettingText,
    TranscriptMessage,
)


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


async def search_customers(
    session: AsyncSession, q: str, limit: int = 100, *, phone: str | None = None
) -> list[Customer]:
    """By name, e-mail, phone or booking reference; `phone` is the query read as a number (E.164), since
    phones are stored that way and an agent types them as the customer wrote them."""
    stmt = select(Customer).order_by(Customer.id.desc()).limit(limit)
    q = q.strip()
    if q:
        pattern = _like(q)
        by_booking = select(Booking.customer_id).where(
            func.lower(Booking.reference).like(pattern, escape="\\")
        )
        stmt = stmt.where(
            or_(
                func.lower(Customer.full_name).like(pattern, escape="\\"),
                func.lower(Customer.email).like(pattern, escape="\\"),
                func.lower(Customer.phone).like(pattern, escape="\\"),
                Customer.phone == phone if phone else false(),
                Customer.id.in_(by_booking),
            )
        )
    return list((await session.execute(stmt)).scalars())


async def search_bookings(session: AsyncSession, q: str, status: str = "", limit: int = 200) -> list[Booking]:
    stmt = select(Booking).order_by(Booking.service_at.desc(), Booking.id.desc()).limit(limit)
    q = q.strip()
    if q:
        pattern = _like(q)
        stmt = stmt.where(
            or_(
                func.lower(Booking.reference).like(pattern, escape="\\"),
                func.lower(Booking.clinic).like(pattern, escape="\\"),
            )
        )
    if status:
        stmt = stmt.where(Booking.status == status)
    return list((await session.execute(stmt)).scalars())


async def bookings_of(session: AsyncSession, customer_id: int) -> list[Booking]:
    rows = await session.execute(
        select(Booking).where(Booking.customer_id == customer_id).order_by(Booking.service_at, Booking.id)
    )
    return list(rows.scalars())


async def booking_by_reference(session: AsyncSession, reference: str) -> Booking | None:
    row = await session.execute(
        select(Booking).where(func.upper(Booking.reference) == reference.strip().upper())
    )
    return row.scalar_one_or_none()


async def customer_by_email(session: AsyncSession, email: str) -> Customer | None:
    row = await session.execute(
        select(Customer)
        .where(func.lower(Customer.email) == email.strip().lower())
        .order_by(Customer.id)
        .limit(1)
    )
    return row.scalar_one_or_none()


async def identities_of(session: AsyncSession, customer_id: int) -> list[ChannelIdentity]:
    rows = await session.execute(
        select(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id).order_by(ChannelIdentity.id)
    )
    return list(rows.scalars())


async def conversations_of(session: AsyncSession, identity_ids: Sequence[int]) -> list[Conversation]:
    if not identity_ids:
        return []
    rows = await session.execute(
        select(Conversation).where(Conversation.identity_id.in_(identity_ids)).order_by(Conversation.id)
    )
    return list(rows.scalars())


async def unlinked_identities(session: AsyncSession, limit: int = 50) -> list[ChannelIdentity]:
    rows = await session.execute(
        select(ChannelIdentity)
        .where(ChannelIdentity.customer_id.is_(None))
        .order_by(ChannelIdentity.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def requests_of_customer(session: AsyncSession, customer_id: int, limit: int = 50) -> list[Request]:
    rows = await session.execute(
        select(Request).where(Request.customer_id == customer_id).order_by(Request.id.desc()).limit(limit)
    )
    return list(rows.scalars())


async def transcript_with_state(
    session: AsyncSession, conversation_id: int, after_id: int = 0, limit: int = 300
) -> list[tuple[TranscriptMessage, str | None, str | None]]:
    """Transcript entries after `after_id` (the latest `limit`), each with its agent's name and delivery state."""
    rows = await session.execute(
        select(TranscriptMessage, Agent.name, OutboxMessage.status)
        .outerjoin(Agent, Agent.id == TranscriptMessage.agent_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == TranscriptMessage.outbox_id)
        .where(TranscriptMessage.conversation_id == conversation_id, TranscriptMessage.id > after_id)
        .order_by(TranscriptMessage.id.desc())
        .limit(limit)
    )
    return [(m, name, status) for m, name, status in reversed(rows.all())]


async def outbox_states(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.status).where(OutboxMessage.id.in_(ids))
    )
    return {i: s for i, s in rows.all()}


async def texts(
    session: AsyncSession, prefix: str | None = None, locale: str | None = None
) -> list[SettingText]:
    stmt = select(SettingText).order_by(SettingText.key, SettingText.locale)
    if prefix:
        stmt = stmt.where(SettingText.key.startswith(prefix))
    if locale:
        stmt = stmt.where(SettingText.locale == locale)
    return list((await session.execute(stmt)).scalars())


async def set_text(
    session: AsyncSession, key: str, locale: str, text: str, agent_id: int
) -> SettingText | None:
    """Create, update, or (empty text) delete one text. Returns the row, None when deleted."""
    row = (
        await session.execute(select(SettingText).where(SettingText.key == key, SettingText.locale == locale))
    ).scalar_one_or_none()
    now = dt.datetime.now(dt.UTC)
    if not text.strip():
        if row is not None:
            await session.delete(row)
        return None
    if row is None:
        row = SettingText(key=key, locale=locale, text=text, updated_at=now, updated_by=agent_id)
        session.add(row)
    else:
        row.text, row.updated_at, row.updated_by = text, now, agent_id
    return row
