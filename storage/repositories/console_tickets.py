"""The queue and the life of a ticket in the console: claim (atomic), release, reassign, resolve."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agent, ChannelIdentity, Conversation, Ticket

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


async def claim(session: AsyncSession, ticket_id: int, agent_id: int, now: dt.datetime) -> bool:
    """Exactly one concurrent claimer wins: a single conditional UPDATE on status = 'open'.

    SQLite serializes writers (BEGIN IMMEDIATE), so the second sees 'claimed'; PostgreSQL's second
    UPDATE waits on the row lock and re-checks the WHERE after the first commits (READ COMMITTED).
    The winner's conversation goes to mode `agent` in the same transaction: the bot falls silent.
    """
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == "open")
        .values(status="claimed", claimed_by=agent_id, claimed_at=now)
        .returning(Ticket.conversation_id)
    )
    won = result.first()
    if won is None:
        return False
    if won[0] is not None:
        await session.execute(update(Conversation).where(Conversation.id == won[0]).values(mode="agent"))
    return True


async def holder(session: AsyncSession, ticket_id: int) -> tuple[Ticket, str | None] | None:
    row = await session.execute(
        select(Ticket, Agent.name)
        .outerjoin(Agent, Agent.id == Ticket.claimed_by)
        .where(Ticket.id == ticket_id)
    )
    found = row.first()
    return (found[0], found[1]) if found else None


async def release(session: AsyncSession, ticket_id: int, agent_id: int | None) -> bool:
    """Back to the queue. `agent_id` None: whoever holds it (an admin's release)."""
    stmt = update(Ticket).where(Ticket.id == ticket_id, Ticket.status == "claimed")
    if agent_id is not None:
        stmt = stmt.where(Ticket.claimed_by == agent_id)
    result = await session.execute(
        stmt.values(status="open", claimed_by=None, claimed_at=None).returning(Ticket.conversation_id)
    )
    row = result.first()
    if row is None:
        return False
    if row[0] is not None:
        # Waiting for a person again: the bot stays silent, though "menu" takes the customer back to it.
        await session.execute(update(Conversation).where(Conversation.id == row[0]).values(mode="queued"))
    return True


async def reassign(
    session: AsyncSession, ticket_id: int, from_agent: int | None, to_agent: int, now: dt.datetime
) -> bool:
    stmt = update(Ticket).where(Ticket.id == ticket_id, Ticket.status == "claimed")
    if from_agent is not None:
        stmt = stmt.where(Ticket.claimed_by == from_agent)
    result = await session.execute(stmt.values(claimed_by=to_agent, claimed_at=now).returning(Ticket.id))
    return result.first() is not None


async def mark_resolved(
    session: AsyncSession, ticket_id: int, agent_id: int | None, outcome: str, now: dt.datetime
) -> bool:
    stmt = update(Ticket).where(Ticket.id == ticket_id, Ticket.status == "claimed")
    if agent_id is not None:
        stmt = stmt.where(Ticket.claimed_by == agent_id)
    result = await session.execute(
        stmt.values(status="resolved", resolved_at=now, outcome=outcome[:32]).returning(Ticket.id)
    )
    return result.first() is not None


async def active_ticket(session: AsyncSession, conversation_id: int) -> Ticket | None:
    row = await session.execute(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(ACTIVE))
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    return row.scalar_one_or_none()


async def open_claimed(
    session: AsyncSession, conversation_id: int, agent_id: int, now: dt.datetime
) -> Ticket:
    """An agent takes up a conversation no ticket is open for (e.g. from a customer's card)."""
    ticket = Ticket(
        conversation_id=conversation_id,
        reason="agent",
        priority="normal",
        status="claimed",
        claimed_by=agent_id,
        claimed_at=now,
        created_at=now,
    )
    session.add(ticket)
    await session.execute(update(Conversation).where(Conversation.id == conversation_id).values(mode="agent"))
    await session.flush()
    return ticket


async def ticket_history(session: AsyncSession, conversation_id: int, limit: int = 20) -> list[Ticket]:
    rows = await session.execute(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id)
        .order_by(Ticket.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())
