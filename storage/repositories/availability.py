"""Who of the team is at their desk: each agent's chosen presence, last activity, languages and load."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agent, AgentSession, Ticket


@dataclass(frozen=True, slots=True)
class AgentLoad:
    id: int
    name: str
    role: str
    presence: str  # as chosen: online | away
    languages: tuple[str, ...]
    capacity: int | None
    # The latest request of a live, fully signed-in session; None: no such session (offline).
    last_seen_at: dt.datetime | None
    assign_turn: int | None
    load: int  # claimed (open) tickets held


async def team(session: AsyncSession, now: dt.datetime, live_after: dt.datetime) -> list[AgentLoad]:
    """Every enabled agent; sessions count as live when unexpired and used after `live_after`."""
    seen = (
        select(AgentSession.agent_id, func.max(AgentSession.last_seen_at).label("seen"))
        .where(
            AgentSession.expires_at > now,
            AgentSession.verified_at.is_not(None),
            AgentSession.last_seen_at > live_after,
        )
        .group_by(AgentSession.agent_id)
        .subquery()
    )
    load = (
        select(Ticket.claimed_by, func.count().label("n"))
        .where(Ticket.status == "claimed")
        .group_by(Ticket.claimed_by)
        .subquery()
    )
    rows = await session.execute(
        select(Agent, seen.c.seen, func.coalesce(load.c.n, 0))
        .outerjoin(seen, seen.c.agent_id == Agent.id)
        .outerjoin(load, load.c.claimed_by == Agent.id)
        .where(Agent.disabled_at.is_(None))
        .order_by(Agent.name, Agent.id)
    )
    out = []
    for agent, last_seen, n in rows:
        out.append(
            AgentLoad(
                id=agent.id,
                name=agent.name,
                role=agent.role,
                presence=agent.presence,
                languages=tuple(code for code in agent.languages.split(",") if code),
                capacity=agent.capacity,
                last_seen_at=_aware(last_seen),
                assign_turn=agent.assign_turn,
                load=int(n),
            )
        )
    return out


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # A bare max() over the column loses the type decorator on SQLite: naive there means UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


Change = Callable[[AsyncSession, int], Awaitable[None]]


async def set_presence(session: AsyncSession, agent_id: int, presence: str) -> None:
    await session.execute(update(Agent).where(Agent.id == agent_id).values(presence=presence))


async def set_languages(session: AsyncSession, agent_id: int, languages: tuple[str, ...]) -> None:
    await session.execute(update(Agent).where(Agent.id == agent_id).values(languages=",".join(languages)))


async def set_capacity(session: AsyncSession, agent_id: int, capacity: int | None) -> None:
    await session.execute(update(Agent).where(Agent.id == agent_id).values(capacity=capacity))
