from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Ticket


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
