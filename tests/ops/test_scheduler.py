"""Jobs claimed in the database: planned once per key, run once however many schedulers race, a dead
worker's job taken again after its lease, a stale worker fenced out, failures retried then failed."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import JobRun, Permanent, Scheduler, SchedulerConfig
from storage.db import Database
from storage.repositories import jobs as repo
from storage.repositories.jobs import Planned
from tests.ops.support import jobs

NOW = dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)


def due(key: str, kind: str = "t", at: dt.datetime = NOW) -> Planned:
    return Planned(key, kind, at, {"n": key})


async def noop(run: JobRun) -> str:
    return "ok"


async def test_a_key_is_planned_once_however_often_and_by_whom(db_url: str) -> None:
    async def planner(session: AsyncSession, now: dt.datetime) -> list[Planned]:
        return [due("reminder:x:1"), due("reminder:x:2")]

    dbs = [Database(db_url), Database(db_url)]
    try:
        a, b = (Scheduler(db, {"t": noop}, [planner]) for db in dbs)
        added = await asyncio.gather(a.plan(NOW), b.plan(NOW), a.plan(NOW), b.plan(NOW))
        assert sum(added) == 2
        assert sorted(j.key for j in await jobs(dbs[0])) == ["reminder:x:1", "reminder:x:2"]
    finally:
        for db in dbs:
            await db.dispose()


async def test_schedulers_racing_run_every_job_exactly_once(db_url: str) -> None:
    """Four schedulers on separate connection pools (as separate processes have) drain 80 jobs."""
    calls: Counter[str] = Counter()

    async def handler(run: JobRun) -> str:
        calls[run.job.key] += 1
        await asyncio.sleep(0.001)  # let the others claim meanwhile
        return "ok"

    dbs = [Database(db_url) for _ in range(4)]
    try:
        async with dbs[0].write() as s:
            await repo.plan(s, [due(f"job:{i}") for i in range(80)])
        schedulers = [Scheduler(db, {"t": handler}, config=SchedulerConfig(batch=3)) for db in dbs]

        async def drain(s: Scheduler) -> None:
            while await s.run_once(NOW):
                pass

        await asyncio.gather(*(drain(s) for s in schedulers))
        assert len(calls) == 80 and set(calls.values()) == {1}
        rows = await jobs(dbs[0])
        assert {r.status for r in rows} == {"done"} and {r.attempts for r in rows} == {1}
        assert sum(s.counters.get("t:done", 0) for s in schedulers) == 80
    finally:
        for db in dbs:
            await db.dispose()


async def test_a_dead_workers_job_waits_for_its_lease_then_runs_once_more(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.write() as s:
            await repo.plan(s, [due("job:crash")])
        async with db.write() as s:
            [claimed] = await repo.claim_due(s, NOW, 10, LEASE, ["t"])
        # That worker died. While its lease runs nobody takes the job...
        ran: list[int] = []

        async def handler(run: JobRun) -> str:
            ran.append(run.job.attempts)
            return "ok"

        scheduler = Scheduler(db, {"t": handler}, config=SchedulerConfig(lease=LEASE))
        assert await scheduler.run_once(NOW + LEASE - dt.timedelta(seconds=1)) == 0
        # ...then exactly one more run, and the dead worker's late word no longer counts.
        assert await scheduler.run_once(NOW + LEASE + dt.timedelta(seconds=1)) == 1
        assert ran == [2]
        async with db.write() as s:
            assert not await repo.finish(s, claimed, NOW, "stale")
            assert not await repo.retry_or_fail(s, claimed, NOW, "stale", None)
        [row] = await jobs(db)
        assert (row.status, row.attempts, row.data["outcome"]) == ("done", 2, "ok")
    finally:
        await db.dispose()


async def test_a_failing_job_is_retried_with_backoff_then_failed(db_url: str) -> None:
    db = Database(db_url)
    try:

        async def broken(run: JobRun) -> str:
            raise RuntimeError("customer Taro Yamada said something")  # the message is never stored

        scheduler = Scheduler(db, {"t": broken}, config=SchedulerConfig(max_attempts=3, base_delay=10))
        await scheduler.schedule([due("job:broken")])
        when = NOW
        for attempt in (1, 2):
            assert await scheduler.run_once(when) == 1
            [row] = await jobs(db)
            assert (row.status, row.attempts, row.last_error) == ("pending", attempt, "RuntimeError")
            assert row.run_at > when
            assert await scheduler.run_once(when) == 0  # not before its retry time
            when = row.run_at
        assert await scheduler.run_once(when) == 1
        [row] = await jobs(db)
        assert (row.status, row.attempts) == ("failed", 3)
        assert "Taro" not in (row.last_error or "")
        assert scheduler.counters == {"t:retry": 2, "t:failed": 1}
    finally:
        await db.dispose()


async def test_a_permanent_failure_is_not_retried(db_url: str) -> None:
    db = Database(db_url)
    try:

        async def bad(run: JobRun) -> str:
            raise Permanent("no such booking")

        scheduler = Scheduler(db, {"t": bad})
        await scheduler.schedule([due("job:bad")])
        assert await scheduler.run_once(NOW) == 1
        [row] = await jobs(db)
        assert (row.status, row.attempts) == ("failed", 1)
    finally:
        await db.dispose()


async def test_only_kinds_it_knows_and_jobs_that_are_due_are_claimed(db_url: str) -> None:
    db = Database(db_url)
    try:
        scheduler = Scheduler(db, {"t": noop})
        later = NOW + dt.timedelta(hours=1)
        await scheduler.schedule([due("job:t"), due("job:other", kind="other"), due("job:later", at=later)])
        assert await scheduler.run_once(NOW) == 1
        status = {j.key: j.status for j in await jobs(db)}
        assert status == {"job:t": "done", "job:other": "pending", "job:later": "pending"}
        assert await scheduler.run_once(later) == 1
    finally:
        await db.dispose()


@pytest.mark.parametrize("bad", [{"outcome": "x"}, {}])
async def test_progress_is_saved_only_while_the_claim_is_ours(db_url: str, bad: dict[str, str]) -> None:
    db = Database(db_url)
    try:
        saved: list[bool] = []

        async def handler(run: JobRun) -> str:
            saved.append(await run.save({"step": 1, **bad}))
            # Meanwhile the lease ran out and another worker claimed the job.
            async with db.write() as s:
                await repo.claim_due(s, NOW + LEASE * 2, 10, LEASE, ["t"])
            saved.append(await run.save({"step": 2}))
            return "first"

        scheduler = Scheduler(db, {"t": handler}, config=SchedulerConfig(lease=LEASE))
        await scheduler.schedule([due("job:fenced")])
        assert await scheduler.run_once(NOW) == 1
        assert saved == [True, False]
        [row] = await jobs(db)
        assert (row.status, row.attempts, row.data.get("step")) == ("running", 2, 1)
        assert scheduler.counters == {"t:lost": 1}
    finally:
        await db.dispose()
