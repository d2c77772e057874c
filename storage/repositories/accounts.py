"""Agents' accounts: sign-in failures per (account, address), second factor, recovery codes, settings.

Failures are rows of login_attempts under hashed keys (the e-mail and address never in clear):
"pair:<sha256(account|address)>" for one account from one address, "acct:<sha256(account)>" for the
account from anywhere, "ok:<sha256(account|address)>" for an address the account signed in from.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agent, AgentRecoveryCode, AgentSession, Flag, LoginAttempt

REQUIRE_2FA_FLAG = "console.require_2fa"
# A success marks the address as the account's own for this long (see bot/console/lockout.py).
KNOWN_FOR = dt.timedelta(days=30)


async def serialize(session: AsyncSession, key: str) -> None:
    """Holds attempts under one key to one at a time until the transaction ends. SQLite's single writer
    already does; on PostgreSQL two concurrent sign-ins would otherwise both read the count before
    either added to it, and fifty guesses at once would all be let through."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


async def failures(session: AsyncSession, key: str, since: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many failures under `key` since then, and the latest one."""
    row = await session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.key == key, LoginAttempt.at > since
        )
    )
    n, last = row.one()
    if last is not None and last.tzinfo is None:  # SQLite's max() returns the stored text, naive
        last = last.replace(tzinfo=dt.UTC)
    return int(n), last


async def known(session: AsyncSession, key: str, since: dt.datetime) -> bool:
    row = await session.execute(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.key == key, LoginAttempt.at > since)
    )
    return int(row.scalar_one()) > 0


async def remember_success(session: AsyncSession, key: str, at: dt.datetime) -> None:
    await session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))
    session.add(LoginAttempt(key=key, at=at))


async def prune(session: AsyncSession, now: dt.datetime) -> None:
    """Failures older than a day go; success marks after KNOWN_FOR."""
    await session.execute(
        delete(LoginAttempt).where(
            ~LoginAttempt.key.startswith("ok:"), LoginAttempt.at < now - dt.timedelta(days=1)
        )
    )
    await session.execute(
        delete(LoginAttempt).where(LoginAttempt.key.startswith("ok:"), LoginAttempt.at < now - KNOWN_FOR)
    )


async def end_other_sessions(session: AsyncSession, agent_id: int, keep: str) -> None:
    await session.execute(
        delete(AgentSession).where(AgentSession.agent_id == agent_id, AgentSession.id != keep)
    )


async def take_step(session: AsyncSession, agent_id: int, step: int) -> bool:
    """Record `step` as used; False when it (or a later one) was used already — one UPDATE, so two
    concurrent sign-ins with the same code cannot both win."""
    result = await session.execute(
        update(Agent)
        .where(Agent.id == agent_id, (Agent.totp_last_step.is_(None)) | (Agent.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def replace_recovery_codes(
    session: AsyncSession, agent_id: int, hashes: list[str], now: dt.datetime
) -> None:
    await session.execute(delete(AgentRecoveryCode).where(AgentRecoveryCode.agent_id == agent_id))
    session.add_all(AgentRecoveryCode(agent_id=agent_id, code_hash=h, created_at=now) for h in hashes)


async def use_recovery_code(session: AsyncSession, agent_id: int, code_hash: str, now: dt.datetime) -> bool:
    result = await session.execute(
        update(AgentRecoveryCode)
        .where(
            AgentRecoveryCode.agent_id == agent_id,
            AgentRecoveryCode.code_hash == code_hash,
            AgentRecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def recovery_codes_left(session: AsyncSession, agent_id: int) -> int:
    row = await session.execute(
        select(func.count())
        .select_from(AgentRecoveryCode)
        .where(AgentRecoveryCode.agent_id == agent_id, AgentRecoveryCode.used_at.is_(None))
    )
    return int(row.scalar_one())


async def clear_second_factor(session: AsyncSession, agent: Agent) -> None:
    agent.totp_secret, agent.totp_enabled_at, agent.totp_last_step = None, None, None
    await session.execute(delete(AgentRecoveryCode).where(AgentRecoveryCode.agent_id == agent.id))


async def require_2fa_for_all(session: AsyncSession) -> bool:
    flag = await session.get(Flag, REQUIRE_2FA_FLAG)
    return flag is not None and flag.value == "1"


async def set_require_2fa_for_all(session: AsyncSession, value: bool) -> None:
    flag = await session.get(Flag, REQUIRE_2FA_FLAG)
    if flag is None:
        session.add(Flag(key=REQUIRE_2FA_FLAG, value="1" if value else "0"))
    else:
        flag.value = "1" if value else "0"
