"""The numbers of the admins' reports page, for a time range [start, end).

Rows are read with plain, portable SELECTs and grouped here in Python: days, weeks and hours are Japan
time (the agency's), which SQLite and PostgreSQL would truncate differently, and percentiles differ per
database too. Each function returns plain data; bot.console.reports turns it into charts and CSV.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, cast, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agent, Booking, Conversation, CsatSurvey, Request, Ticket, TranscriptMessage
from storage.repositories.common import is_postgres

JST = ZoneInfo("Asia/Tokyo")


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


# The Python reference of what jst_day / jst_week / jst_hour compute in SQL (tests compare the two).
def day_of(value: dt.datetime) -> str:
    return _utc(value).astimezone(JST).date().isoformat()


def week_of(value: dt.datetime) -> str:
    """The JST week as its Monday, e.g. "2026-03-02"."""
    day = _utc(value).astimezone(JST).date()
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def hour_of(value: dt.datetime) -> int:
    return _utc(value).astimezone(JST).hour


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True, slots=True)
class Spread:
    count: int
    median: float | None
    p90: float | None


def spread(values: list[float]) -> Spread:
    return Spread(len(values), percentile(values, 0.5), percentile(values, 0.9))


def _grouped(pairs: Iterable[tuple[str, float]]) -> dict[str, Spread]:
    groups: dict[str, list[float]] = defaultdict(list)
    for key, value in pairs:
        groups[key].append(value)
    return {k: spread(v) for k, v in sorted(groups.items())}


def jst_day(session: AsyncSession, column: Any) -> Any:
    """The JST calendar day of a timestamp column as "YYYY-MM-DD", in SQL (Japan has had no daylight
    saving time since 1951, so on SQLite it is exactly UTC + 9 hours)."""
    if is_postgres(session):
        return func.to_char(func.timezone("Asia/Tokyo", column), "YYYY-MM-DD")
    return func.date(column, "+9 hours")


def jst_week(session: AsyncSession, column: Any) -> Any:
    """The Monday (JST) of a timestamp's week as "YYYY-MM-DD" — what `week_of` says in Python."""
    if is_postgres(session):
        return func.to_char(func.date_trunc("week", func.timezone("Asia/Tokyo", column)), "YYYY-MM-DD")
    # SQLite: forward to the week's Sunday (the same day if it is one), then back to its Monday.
    return func.date(column, "+9 hours", "weekday 0", "-6 days")


def jst_hour(session: AsyncSession, column: Any) -> Any:
    if is_postgres(session):
        return cast(extract("hour", func.timezone("Asia/Tokyo", column)), Integer)
    return cast(func.strftime("%H", column, "+9 hours"), Integer)


def minutes_between(session: AsyncSession, later: Any, earlier: Any) -> Any:
    """`later - earlier` in minutes (NULL when either is NULL)."""
    if is_postgres(session):
        return extract("epoch", later - earlier) / 60
    return (func.julianday(later) - func.julianday(earlier)) * 1440


@dataclass(frozen=True, slots=True)
class Started:
    day: str  # JST
    channel: str
    locale: str
    handed: bool  # a person was asked for (the conversation has a ticket)
    count: int


async def conversations(s: AsyncSession, start: dt.datetime, end: dt.datetime) -> list[Started]:
    """Conversations started in the range, counted per JST day, channel, language and handed or not.

    Counted in SQL: at 100,000 conversations, fetching one row each costs seconds. A ticket of a
    conversation started in the range was opened after `start`, which keeps its scan on an index.
    """
    tickets = (
        select(Ticket.conversation_id.label("cid")).where(Ticket.created_at >= start).distinct().subquery()
    )
    day = jst_day(s, Conversation.created_at)
    handed = tickets.c.cid.is_not(None)
    rows = await s.execute(
        select(day, Conversation.channel, Conversation.locale, handed, func.count())
        .outerjoin(tickets, tickets.c.cid == Conversation.id)
        .where(Conversation.created_at >= start, Conversation.created_at < end)
        .group_by(day, Conversation.channel, Conversation.locale, handed)
    )
    return [Started(str(d), ch, loc or "unknown", bool(h), int(n)) for d, ch, loc, h, n in rows]


@dataclass(frozen=True, slots=True)
class TicketTimes:
    week: str
    agent: str
    created_hour: int
    first_response: float | None  # minutes from the ticket to the agent's first message
    resolution: float | None  # minutes from the ticket to its resolution
    wait: float | None  # minutes in the queue (ticket to claim)


async def ticket_times(s: AsyncSession, start: dt.datetime, end: dt.datetime) -> list[TicketTimes]:
    """Tickets opened in the range with their first response, resolution and queue wait, in minutes.

    Weeks, hours and durations come out of SQL as text and numbers: parsing four timestamps a row
    costs more than the query at tens of thousands of tickets.
    """
    first_reply = (
        select(func.min(TranscriptMessage.created_at))
        .where(
            TranscriptMessage.conversation_id == Ticket.conversation_id,
            TranscriptMessage.author == "agent",
            TranscriptMessage.created_at >= Ticket.created_at,
        )
        .scalar_subquery()
    )
    rows = await s.execute(
        select(
            jst_week(s, Ticket.created_at),
            Agent.name,
            jst_hour(s, Ticket.created_at),
            minutes_between(s, first_reply, Ticket.created_at),
            minutes_between(s, Ticket.resolved_at, Ticket.created_at),
            minutes_between(s, Ticket.claimed_at, Ticket.created_at),
        )
        .outerjoin(Agent, Agent.id == Ticket.claimed_by)
        .where(Ticket.created_at >= start, Ticket.created_at < end)
    )
    return [
        TicketTimes(str(week), agent or "—", int(hour), _float(first), _float(res), _float(wait))
        for week, agent, hour, first, res, wait in rows
    ]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def by_week_and_agent(times: list[TicketTimes], field: str) -> tuple[dict[str, Spread], dict[str, Spread]]:
    values = [(t, getattr(t, field)) for t in times if getattr(t, field) is not None]
    return _grouped((t.week, v) for t, v in values), _grouped((t.agent, v) for t, v in values)


def wait_by_hour(times: list[TicketTimes]) -> dict[int, Spread]:
    groups: dict[int, list[float]] = {h: [] for h in range(24)}
    for t in times:
        if t.wait is not None:
            groups[t.created_hour].append(t.wait)
    return {h: spread(v) for h, v in groups.items()}


@dataclass(frozen=True, slots=True)
class Satisfaction:
    count: int
    average: float | None
    satisfied: float | None  # share of 4 and 5, in percent


async def csat(
    s: AsyncSession, start: dt.datetime, end: dt.datetime
) -> tuple[dict[str, Satisfaction], dict[str, Satisfaction]]:
    """Ratings of the surveys asked in the range, per JST week and per agent (counted in SQL)."""
    satisfied = func.sum(case((CsatSurvey.rating >= 4, 1), else_=0))
    answered = (CsatSurvey.asked_at >= start, CsatSurvey.asked_at < end, CsatSurvey.rating.is_not(None))
    week = jst_week(s, CsatSurvey.asked_at)
    by_week = await s.execute(
        select(week, func.count(), func.avg(CsatSurvey.rating), satisfied).where(*answered).group_by(week)
    )
    by_agent = await s.execute(
        select(Agent.name, func.count(), func.avg(CsatSurvey.rating), satisfied)
        .outerjoin(Agent, Agent.id == CsatSurvey.agent_id)
        .where(*answered)
        .group_by(Agent.name)
    )

    def table(rows: Any) -> dict[str, Satisfaction]:
        found = {
            str(key or "—"): Satisfaction(int(n), float(avg), 100 * int(good) / int(n))
            for key, n, avg, good in rows
        }
        return dict(sorted(found.items()))

    return table(by_week), table(by_agent)


@dataclass(frozen=True, slots=True)
class Kind:
    count: int
    fees_jpy: int  # cancellation fees involved (0 for the other kinds)


async def requests_by_kind(s: AsyncSession, start: dt.datetime, end: dt.datetime) -> dict[str, Kind]:
    rows = await s.execute(
        select(Request.kind, func.count(), func.coalesce(func.sum(Request.fee_jpy), 0))
        .where(Request.requested_at >= start, Request.requested_at < end)
        .group_by(Request.kind)
    )
    return {kind: Kind(int(n), int(fees or 0)) for kind, n, fees in rows}


async def no_shows(s: AsyncSession, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Bookings recorded as missed (status no_show, set by the console's "No-show recorded"), per JST
    week of the appointment."""
    week = jst_week(s, Booking.service_at)
    rows = await s.execute(
        select(week, func.count())
        .where(Booking.status == "no_show", Booking.service_at >= start, Booking.service_at < end)
        .group_by(week)
    )
    return dict(sorted((str(w), int(n)) for w, n in rows))
