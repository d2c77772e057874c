"""The console's accounts: agents, their sessions, login attempts, and the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agent, AgentSession, AuditEntry, LoginAttempt


async def agent_by_email(session: AsyncSession, email: str) -> Agent | None:
    row = await session.execute(select(Agent).where(func.lower(Agent.email) == email.strip().lower()))
    return row.scalar_one_or_none()


async def list_agents(session: AsyncSession) -> list[Agent]:
    return list((await session.execute(select(Agent).order_by(Agent.name, Agent.id))).scalars())


async def active_agents(session: AsyncSession) -> list[Agent]:
    rows = await session.execute(select(Agent).where(Agent.disabled_at.is_(None)).order_by(Agent.name))
    return list(rows.scalars())


def add_agent(
    session: AsyncSession,
    email: str,
    name: str,
    role: str,
    password_hash: str,
    *,
    must_change_password: bool = False,
) -> Agent:
    agent = Agent(
        email=email.strip().lower(),
        name=name.strip(),
        role=role,
        password_hash=password_hash,
        failed_logins=0,
        created_at=dt.datetime.now(dt.UTC),
        must_change_password=must_change_password,
        totp_required=False,
    )
    session.add(agent)
    return agent


async def count_attempts(session: AsyncSession, key: str, since: dt.datetime) -> int:
    row = await session.execute(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.at > since)
    )
    return int(row.scalar_one())


def record_attempt(session: AsyncSession, key: str, at: dt.datetime) -> None:
    session.add(LoginAttempt(key=key, at=at))


async def clear_attempts(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))


async def prune_attempts(session: AsyncSession, before: dt.datetime) -> None:
    await session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))


async def session_with_agent(session: AsyncSession, session_id: str) -> tuple[AgentSession, Agent] | None:
    row = await session.execute(
        select(AgentSession, Agent)
        .join(Agent, Agent.id == AgentSession.agent_id)
        .where(AgentSession.id == session_id)
    )
    found = row.first()
    return (found[0], found[1]) if found else None


async def end_session(session: AsyncSession, session_id: str) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.id == session_id))


async def end_sessions_of(session: AsyncSession, agent_id: int) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.agent_id == agent_id))


async def prune_sessions(session: AsyncSession, now: dt.datetime, idle_before: dt.datetime) -> None:
    await session.execute(
        delete(AgentSession).where(
            (AgentSession.expires_at < now) | (AgentSession.last_seen_at < idle_before)
        )
    )


def audit(
    session: AsyncSession,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: object = None,
    detail: dict[str, Any] | None = None,
    agent_id: int | None = None,
) -> AuditEntry:
    """One audit entry. `detail` holds ids and codes, never personal data: the log outlives a purge."""
    entry = AuditEntry(
        at=dt.datetime.now(dt.UTC),
        agent_id=agent_id,
        actor=actor[:254],
        action=action[:64],
        target_type=target_type,
        target_id=None if target_id is None else str(target_id)[:64],
        detail=detail,
    )
    session.add(entry)
    return entry


async def audit_page(
    session: AsyncSession,
    *,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action))
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    if before_id:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list((await session.execute(stmt)).scalars())
