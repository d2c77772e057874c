"""The team's side of a handoff, on the engine side: business hours, who is online, the expected wait,
and auto-assignment (bot.modes) — turned into `TeamFact` for the pure notice (bot.dialogs.handoff)."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot import availability, hours, modes
from bot.config import Settings
from bot.dialogs import handoff
from bot.dialogs.base import TeamFact
from bot.dialogs.runtime import Settled
from storage.models import Ticket
from storage.repositories import availability as team_repo
from storage.repositories import hours as repo

# The expected wait is the median of the latest claimed tickets of this period (at least WAIT_SAMPLE).
WAIT_WINDOW = dt.timedelta(days=14)
WAIT_SAMPLE = 3


async def load_rules(session: AsyncSession) -> hours.Rules:
    weekly: dict[int, list[hours.Interval]] = {}
    for weekday, start, end in await repo.weekly(session):
        weekly.setdefault(weekday, []).append(hours.Interval(start, end))
    overrides = {o.day: o.is_open for o in await repo.overrides(session)}
    return hours.Rules({d: tuple(i) for d, i in weekly.items()}, overrides)


def open_now(rules: hours.Rules, now: dt.datetime) -> bool:
    """No weekly hours set at all: the team has not said when it works, so hours never close it."""
    return not rules.configured or hours.is_open(rules, now)


def away_after(settings: Settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.away_after_minutes)


async def team_fact(session: AsyncSession, settings: Settings, now: dt.datetime, urgent: bool) -> TeamFact:
    rules = await load_rules(session)
    is_open = open_now(rules, now)
    team = await team_repo.team(session, now, now - modes.SESSION_IDLE)
    online = any(
        availability.status(a, now, away_after(settings)) is availability.Status.ONLINE for a in team
    )
    waits = await repo.recent_waits(session, now - WAIT_WINDOW)
    wait = dt.timedelta(seconds=statistics.median(waits)) if len(waits) >= WAIT_SAMPLE else None
    return TeamFact(
        open_now=is_open,
        next_opening=None if is_open else hours.next_opening(rules, now),
        anyone_online=online,
        expected_wait=wait,
        on_call=urgent and not is_open,
    )


async def after_handoff(
    session: AsyncSession, settings: Settings, step: Settled, ticket_ids: list[int], now: dt.datetime
) -> Settled:
    """A turn that asked for a person: auto-assign its tickets (when the admins chose so) and add
    what the customer should know of the team's availability to the replies."""
    # The conversation's new mode (queued) is what assignment reads: written before it (no autoflush).
    await session.flush()
    rules = await modes.assignment(session, away_after(settings))
    urgent = False
    for ticket_id in ticket_ids:
        ticket = await session.get(Ticket, ticket_id)
        urgent = urgent or (ticket is not None and ticket.priority == "urgent")
        await modes.assign(session, ticket_id, now, rules)
    facts = replace(step.facts, team=await team_fact(session, settings, now, urgent))
    return replace(step, facts=facts, replies=(*step.replies, *handoff.notice(facts)))
