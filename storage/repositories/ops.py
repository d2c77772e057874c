"""Read-only figures for /metrics and /readyz: outbox backlog and dead letters, tickets waiting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, Ticket
from storage.repositories import outbox


@dataclass(frozen=True, slots=True)
class Backlog:
    count: int
    oldest: dt.datetime | None


async def ping(session: AsyncSession) -> None:
    await session.execute(text("SELECT 1"))


async def outbox_backlog(session: AsyncSession) -> dict[str, Backlog]:
    """Per channel: replies not yet delivered (pending or being sent) and the oldest one's creation time."""
    rows = await session.execute(
        select(OutboxMessage.channel, func.count(), func.min(OutboxMessage.created_at))
        .where(outbox.undelivered(OutboxMessage.status))
        .group_by(OutboxMessage.channel)
    )
    return {channel: Backlog(int(n), oldest) for channel, n, oldest in rows.all()}


async def dead_letters(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.channel, func.count())
        .where(OutboxMessage.status == "dead")
        .group_by(OutboxMessage.channel)
    )
    return {channel: int(n) for channel, n in rows.all()}


async def tickets_waiting(session: AsyncSession) -> dict[str, Backlog]:
    """Per priority: open tickets nobody has claimed yet, and when the longest-waiting one was opened."""
    rows = await session.execute(
        select(Ticket.priority, func.count(), func.min(Ticket.created_at))
        .where(Ticket.status == "open")
        .group_by(Ticket.priority)
    )
    return {priority: Backlog(int(n), oldest) for priority, n, oldest in rows.all()}
