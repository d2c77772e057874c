"""The SQL of a conversation's mode and its ticket's life: claim (atomic), release, reassign, resolve.

The rules (which mode follows which) are bot.modes'; the target mode is passed in, so a ticket and its
conversation change in the same statement sequence of the caller's transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agent, Conversation, Ticket


async def claim(session: AsyncSession, ticket_id: int, agent_id: int, now: dt.datetime, mode: str) -> bool:
    """Exactly one concurrent claimer wins: a single conditional UPDATE on status = 'open'.

    SQLite serializes writers (BEGIN IMMEDIATE), so the second sees 'claimed'; PostgreSQL's second
    UPDATE waits on the row lock and re-checks the WHERE after the first commits (READ COMMITTED).
    The winner's conversation goes to `mode` in the same transaction: the bot falls silent.
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
        await set_mode(session, won[0], mode)
    return True


async def release(session: AsyncSession, ticket_id: int, agent_id: int | None, mode: str) -> bool:
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
        await set_mode(session, row[0], mode)
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
) -> tuple[int | None] | None:
    """Resolve a claimed ticket (held by `agent_id`, or anyone's when None).

    Returns (its conversation id,) or None when the ticket was not claimed (by that agent) any more.
    """
    stmt = update(Ticket).where(Ticket.id == ticket_id, Ticket.status == "claimed")
    if agent_id is not None:
        stmt = stmt.where(Ticket.claimed_by == agent_id)
    result = await session.execute(
        stmt.values(status="resolved", resolved_at=now, outcome=outcome[:32]).returning(
            Ticket.conversation_id
        )
    )
    row = result.first()
    return None if row is None else (row[0],)


async def open_claimed(
    session: AsyncSession, conversation_id: int, agent_id: int, now: dt.datetime, mode: str
) -> Ticket:
    """A claimed ticket for a conversation no ticket is open for; the conversation goes to `mode`."""
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
    await set_mode(session, conversation_id, mode)
    await session.flush()
    return ticket


async def set_mode(session: AsyncSession, conversation_id: int, mode: str) -> None:
    await session.execute(update(Conversation).where(Conversation.id == conversation_id).values(mode=mode))


async def waiting(session: AsyncSession, mode: str) -> list[tuple[int, str | None]]:
    """Open tickets whose conversation is in `mode` (waiting for a person), urgent then oldest first:
    (ticket id, the conversation's locale). A ticket the bot's flow goes on beside is not one."""
    rows = await session.execute(
        select(Ticket.id, Conversation.locale)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .where(Ticket.status == "open", Conversation.mode == mode)
        .order_by((Ticket.priority == "urgent").desc(), Ticket.created_at, Ticket.id)
    )
    return [(t, loc) for t, loc in rows]


async def locale_of_ticket(session: AsyncSession, ticket_id: int, mode: str) -> tuple[bool, str | None]:
    """(whether the ticket is open with a conversation in `mode`, that conversation's locale)."""
    row = (
        await session.execute(
            select(Conversation.locale)
            .join(Ticket, Ticket.conversation_id == Conversation.id)
            .where(Ticket.id == ticket_id, Ticket.status == "open", Conversation.mode == mode)
        )
    ).first()
    return (False, None) if row is None else (True, row[0])


async def mark_assigned(session: AsyncSession, agent_id: int) -> int:
    """The round robin's turn moves on past this agent: it takes the next turn number."""
    turn = select(func.coalesce(func.max(Agent.assign_turn), 0) + 1).scalar_subquery()
    result = await session.execute(
        update(Agent).where(Agent.id == agent_id).values(assign_turn=turn).returning(Agent.assign_turn)
    )
    return int(result.scalar_one() or 0)
