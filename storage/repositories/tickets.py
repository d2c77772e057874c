"""Tickets: opened by escalations, the queue the agents see, who holds one (its transitions: modes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agent, ChannelIdentity, Conversation, Ticket


async def open_ticket(
    session: AsyncSession,
    conversation_id: int | None,
    reason: str,
    priority: str = "normal",
    summary: str = "",
    request_id: int | None = None,
) -> Ticket:
    """Open a ticket, or return the conversation's open one (raising its priority if needed).

    One open ticket per conversation keeps the queue honest: a customer who presses "talk to a person"
    three times is one waiting customer.
    """
    if conversation_id is not None:
        existing = (
            await session.execute(
                select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status != "resolved")
            )
        ).scalar_one_or_none()
        if existing is not None:
            if priority == "urgent" and existing.priority != "urgent":
                existing.priority = "urgent"
                existing.reason = reason
            if request_id is not None and existing.request_id is None:
                existing.request_id = request_id
            if summary:
                existing.summary = f"{existing.summary}\n{summary}" if existing.summary else summary
            return existing
    ticket = Ticket(
        conversation_id=conversation_id,
        reason=reason,
        priority=priority,
        summary=summary or None,
        request_id=request_id,
        status="open",
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(ticket)
    await session.flush()
    return ticket


ACTIVE = ("open", "claimed")


@dataclass(frozen=True, slots=True)
class QueueRow:
    ticket_id: int
    conversation_id: int | None
    reason: str
    priority: str
    status: str
    created_at: dt.datetime
    channel: str | None
    locale: str | None
    claimed_by: int | None
    claimed_by_name: str | None


async def queue(session: AsyncSession) -> list[QueueRow]:
    """Open and claimed tickets: open first, urgent first, then the longest waiting."""
    urgent_first = case((Ticket.priority == "urgent", 0), else_=1)
    open_first = case((Ticket.status == "open", 0), else_=1)
    rows = await session.execute(
        select(Ticket, Conversation.channel, Conversation.locale, ChannelIdentity.locale_hint, Agent.name)
        .outerjoin(Conversation, Conversation.id == Ticket.conversation_id)
        .outerjoin(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
        .outerjoin(Agent, Agent.id == Ticket.claimed_by)
        .where(Ticket.status.in_(ACTIVE))
        .order_by(open_first, urgent_first, Ticket.created_at, Ticket.id)
        .limit(500)
    )
    return [
        QueueRow(
            ticket_id=t.id,
            conversation_id=t.conversation_id,
            reason=t.reason,
            priority=t.priority,
            status=t.status,
            created_at=t.created_at,
            channel=channel,
            locale=locale or hint,
            claimed_by=t.claimed_by,
            claimed_by_name=name,
        )
        for t, channel, locale, hint, name in rows.all()
    ]


async def holder(session: AsyncSession, ticket_id: int) -> tuple[Ticket, str | None] | None:
    row = await session.execute(
        select(Ticket, Agent.name)
        .outerjoin(Agent, Agent.id == Ticket.claimed_by)
        .where(Ticket.id == ticket_id)
    )
    found = row.first()
    return (found[0], found[1]) if found else None


async def active_ticket(session: AsyncSession, conversation_id: int) -> Ticket | None:
    row = await session.execute(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(ACTIVE))
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    return row.scalar_one_or_none()


async def ticket_history(session: AsyncSession, conversation_id: int, limit: int = 20) -> list[Ticket]:
    rows = await session.execute(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id)
        .order_by(Ticket.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())
