"""A conversation's surroundings as the console shows them (identities, transcript, outbox states).

Customers, bookings and texts have their own modules (customers, bookings, texts).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Agent,
    ChannelIdentity,
    Conversation,
    Customer,
    OutboxMessage,
    Request,
    TranscriptMessage,
)
from storage.repositories import bookings as _bookings


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


# csv_import (another module's owner) still reads it from here.
booking_by_reference = _bookings.by_reference
