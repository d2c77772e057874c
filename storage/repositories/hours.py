"""The team's business hours, dated overrides, team settings (flags) and recent waiting times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DayOverride, Flag, Ticket, WeeklyHours
from storage.repositories.common import insert_for


async def weekly(session: AsyncSession) -> list[tuple[int, int, int]]:
    """(weekday, start minute, end minute) of every interval, by weekday and start."""
    rows = await session.execute(
        select(WeeklyHours.weekday, WeeklyHours.start_minute, WeeklyHours.end_minute).order_by(
            WeeklyHours.weekday, WeeklyHours.start_minute
        )
    )
    return [(w, s, e) for w, s, e in rows]


async def set_weekday(session: AsyncSession, weekday: int, intervals: Sequence[tuple[int, int]]) -> None:
    """Replace one weekday's intervals (none: closed that weekday)."""
    await session.execute(delete(WeeklyHours).where(WeeklyHours.weekday == weekday))
    for start, end in intervals:
        session.add(WeeklyHours(weekday=weekday, start_minute=start, end_minute=end))
    await session.flush()


async def overrides(session: AsyncSession, since: dt.date | None = None) -> list[DayOverride]:
    stmt = select(DayOverride).order_by(DayOverride.day)
    if since is not None:
        stmt = stmt.where(DayOverride.day >= since)
    return list((await session.execute(stmt)).scalars())


async def set_override(
    session: AsyncSession, day: dt.date, is_open: bool, note: str | None, now: dt.datetime
) -> None:
    row = await session.get(DayOverride, day)
    if row is None:
        session.add(DayOverride(day=day, is_open=is_open, note=note, updated_at=now))
    else:
        row.is_open, row.note, row.updated_at = is_open, note, now
    await session.flush()


async def clear_override(session: AsyncSession, day: dt.date) -> bool:
    result = await session.execute(
        delete(DayOverride).where(DayOverride.day == day).returning(DayOverride.day)
    )
    return result.first() is not None


async def setting(session: AsyncSession, key: str) -> str | None:
    row = await session.get(Flag, f"team:{key}")
    return None if row is None else row.value


async def set_setting(session: AsyncSession, key: str, value: str) -> None:
    stmt = insert_for(session, Flag).values(key=f"team:{key}", value=value)
    await session.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


async def recent_waits(session: AsyncSession, since: dt.datetime, limit: int = 50) -> list[float]:
    """Seconds from a ticket's creation to its claim, for the latest claimed tickets since `since`."""
    rows = await session.execute(
        select(Ticket.created_at, Ticket.claimed_at)
        .where(Ticket.created_at >= since, Ticket.claimed_at.is_not(None))
        .order_by(Ticket.created_at.desc())
        .limit(limit)
    )
    return [max(0.0, (claimed - created).total_seconds()) for created, claimed in rows if claimed is not None]
