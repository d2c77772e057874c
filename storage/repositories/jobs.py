"""Scheduled work in the `jobs` table (bot.scheduler): planned once per key, claimed with a lease.

A job's unique key is what makes it happen once: planning the same key twice (two processes, or one
process planning every few minutes) inserts one row. A claim sets status 'running', a lease
(`claimed_until`) and bumps `attempts`; that attempt number is the fencing token every later write
checks, so a worker whose lease ran out and was overtaken cannot overwrite the newer claim.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Job
from storage.repositories.common import insert_for, is_postgres


@dataclass(frozen=True, slots=True)
class Planned:
    key: str
    kind: str
    run_at: dt.datetime
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    key: str
    kind: str
    run_at: dt.datetime
    attempts: int
    data: dict[str, Any]


async def plan(session: AsyncSession, jobs: Sequence[Planned]) -> int:
    """Insert the jobs whose key is new; returns how many were new."""
    added = 0
    for job in jobs:
        result = await session.execute(
            insert_for(session, Job)
            .values(
                key=job.key,
                kind=job.kind,
                run_at=job.run_at,
                status="pending",
                attempts=0,
                data=job.data,
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        added += int(getattr(result, "rowcount", 0) or 0)
    return added


async def claim_due(
    session: AsyncSession, now: dt.datetime, limit: int, lease: dt.timedelta, kinds: Sequence[str]
) -> list[Claimed]:
    """Claim due jobs of `kinds` (and running ones whose lease expired): one statement, SKIP LOCKED on
    PostgreSQL. On SQLite the write transaction (BEGIN IMMEDIATE) already serializes claimers.

    Only kinds this process can run are claimed: during a rolling upgrade an older process leaves a
    newer kind to the processes that know it.
    """
    candidate = aliased(Job)
    pick = (
        select(candidate.id)
        .where(_due(candidate, now), candidate.kind.in_(kinds))
        .order_by(candidate.run_at, candidate.id)
        .limit(limit)
    )
    if is_postgres(session):
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(Job)
        # Re-checked on the row itself: between the pick and the update another claimer may have won.
        .where(Job.id.in_(pick.scalar_subquery().correlate(None)), _due(Job, now))
        .values(status="running", claimed_until=now + lease, attempts=Job.attempts + 1)
        .returning(Job.id, Job.key, Job.kind, Job.run_at, Job.attempts, Job.data)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(stmt)).all()
    claimed = [
        Claimed(
            id=r.id, key=r.key, kind=r.kind, run_at=r.run_at, attempts=r.attempts, data=dict(r.data or {})
        )
        for r in rows
    ]
    return sorted(claimed, key=lambda c: (c.run_at, c.id))


def _due(table: Any, now: dt.datetime) -> Any:
    return or_(
        and_(table.status == "pending", table.run_at <= now),
        and_(table.status == "running", table.claimed_until < now),
    )


def _ours(job: Claimed) -> Any:
    return and_(Job.id == job.id, Job.status == "running", Job.attempts == job.attempts)


async def update_data(session: AsyncSession, job: Claimed, data: dict[str, Any]) -> bool:
    """Replace the job's data while we still hold the claim."""
    result = await session.execute(
        update(Job).where(_ours(job)).values(data=data).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def finish(
    session: AsyncSession, job: Claimed, now: dt.datetime, outcome: str, data: dict[str, Any] | None = None
) -> bool:
    """Done, with a short outcome ("sent", "skipped: booking cancelled"). False if the claim was lost."""
    values: dict[str, Any] = {
        "status": "done",
        "done_at": now,
        "claimed_until": None,
        "data": {**(data if data is not None else job.data), "outcome": outcome[:200]},
    }
    result = await session.execute(
        update(Job).where(_ours(job)).values(**values).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def retry_or_fail(
    session: AsyncSession, job: Claimed, now: dt.datetime, error: str, retry_at: dt.datetime | None
) -> bool:
    """Back to 'pending' at `retry_at`, or 'failed' when `retry_at` is None."""
    values: dict[str, Any] = {"last_error": error[:500], "claimed_until": None}
    if retry_at is None:
        values.update(status="failed", done_at=now)
    else:
        values.update(status="pending", run_at=retry_at)
    result = await session.execute(
        update(Job).where(_ours(job)).values(**values).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """(kind, status) -> number of jobs, for /metrics."""
    rows = await session.execute(select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status))
    return {(k, s): int(n) for k, s, n in rows.all()}


async def oldest_due(session: AsyncSession, now: dt.datetime) -> dt.datetime | None:
    """When the longest-waiting due job was due (a stuck scheduler shows here)."""
    row = await session.execute(
        select(func.min(Job.run_at)).where(Job.status == "pending", Job.run_at <= now)
    )
    value: dt.datetime | None = row.scalar_one_or_none()
    return value


async def recent(session: AsyncSession, status: str | None, limit: int) -> list[Job]:
    """The latest jobs by run time (`counselbot jobs list`), optionally of one status."""
    stmt = select(Job).order_by(Job.run_at.desc(), Job.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Job.status == status)
    return list((await session.execute(stmt)).scalars())
