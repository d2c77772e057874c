"""Scheduled work that happens once however many processes run: jobs planned and claimed in the database.

Every process runs a Scheduler (the ops component starts it). Each pass it

1. plans: planners (e.g. bot.reminders.plan) say which jobs should exist; they are inserted by unique
   key, so two processes planning the same reminder make one row;
2. claims due jobs with one UPDATE (SKIP LOCKED on PostgreSQL), each with a lease;
3. runs each job's handler; the outcome is written back only while the claim is still ours (the attempt
   number fences it). A handler that raises is retried with backoff, then marked failed; a process that
   dies mid-job leaves a lease that expires, and another process takes the job again.

Nothing is held in memory between passes: the database is the schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.instruments import Instruments
from storage.db import Database
from storage.repositories import jobs as repo
from storage.repositories.jobs import Claimed, Planned

log = logging.getLogger(__name__)


class Permanent(Exception):
    """A job that cannot succeed by retrying (bad data): marked failed at once."""


@dataclass
class JobRun:
    """What a handler gets: the claimed job, the pass's clock, and a way to save progress."""

    job: Claimed
    now: dt.datetime
    db: Database

    async def save(self, data: dict[str, Any]) -> bool:
        """Store progress in the job's data (only while the claim is ours); False if it was lost."""
        async with self.db.write() as s:
            ok = await repo.update_data(s, self.job, data)
        if ok:
            self.job = Claimed(**{**_fields(self.job), "data": data})
        return ok


Handler = Callable[[JobRun], Awaitable[str]]
Planner = Callable[[AsyncSession, dt.datetime], Awaitable[list[Planned]]]


@dataclass
class SchedulerConfig:
    poll_interval: float = 15.0
    plan_interval: float = 300.0
    lease: dt.timedelta = dt.timedelta(minutes=5)
    max_attempts: int = 5
    base_delay: float = 30.0
    max_delay: float = 3600.0
    batch: int = 20


class Scheduler:
    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Handler],
        planners: Sequence[Planner] = (),
        config: SchedulerConfig | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        instruments: Instruments | None = None,
    ) -> None:
        self.db = db
        self.handlers = dict(handlers)
        self.planners = list(planners)
        self.config = config or SchedulerConfig()
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        # "kind:done|retry|failed|lost" -> count in this object (the tests read it); /metrics reads
        # the instruments, which every process's scheduler adds to.
        self.counters: dict[str, int] = {}
        self.instruments = instruments or Instruments()
        self.last_pass_at: dt.datetime | None = None
        self._wake = asyncio.Event()
        self._last_plan: float | None = None

    def wake(self) -> None:
        self._wake.set()

    async def plan(self, now: dt.datetime | None = None) -> int:
        """Insert the jobs the planners want (existing keys are left alone); returns how many were new."""
        now = now or self.clock()
        added = 0
        for planner in self.planners:
            async with self.db.read() as s:
                wanted = await planner(s, now)
            if wanted:
                async with self.db.write() as s:
                    added += await repo.plan(s, wanted)
        return added

    async def schedule(self, jobs: Sequence[Planned]) -> int:
        """Add jobs from elsewhere (an agent's request, a command); keys already present are kept."""
        async with self.db.write() as s:
            added = await repo.plan(s, jobs)
        self.wake()
        return added

    async def run_once(self, now: dt.datetime | None = None) -> int:
        """Claim and run what is due now; returns how many jobs ran."""
        now = now or self.clock()
        async with self.db.write() as s:
            claimed = await repo.claim_due(s, now, self.config.batch, self.config.lease, list(self.handlers))
        for job in claimed:
            await self._run(job, now)
        self.last_pass_at = now
        return len(claimed)

    async def _run(self, job: Claimed, now: dt.datetime) -> None:
        run = JobRun(job, now, self.db)
        try:
            outcome = await self.handlers[job.kind](run)
        except asyncio.CancelledError:
            raise  # the lease runs out and another pass takes the job again
        except Exception as exc:
            await self._failed(run.job, now, exc)
            return
        async with self.db.write() as s:
            ok = await repo.finish(s, run.job, self.clock(), outcome)
        self._count(job.kind, "done" if ok else "lost")
        log.info(
            "job done", extra={"job": job.key, "kind": job.kind, "outcome": outcome, "attempt": job.attempts}
        )

    async def _failed(self, job: Claimed, now: dt.datetime, exc: Exception) -> None:
        error = type(exc).__name__  # never the message: it may quote customer data
        retry_at: dt.datetime | None = None
        if not isinstance(exc, Permanent) and job.attempts < self.config.max_attempts:
            delay = random.uniform(0.5, 1.0) * min(
                self.config.max_delay, self.config.base_delay * 2 ** (job.attempts - 1)
            )
            retry_at = now + dt.timedelta(seconds=delay)
        async with self.db.write() as s:
            await repo.retry_or_fail(s, job, now, error, retry_at)
        self._count(job.kind, "retry" if retry_at else "failed")
        log.warning(
            "job %s", "will retry" if retry_at else "failed",
            extra={"job": job.key, "kind": job.kind, "attempt": job.attempts, "error": error},
        )  # fmt: skip

    def _count(self, kind: str, what: str) -> None:
        key = f"{kind}:{what}"
        self.counters[key] = self.counters.get(key, 0) + 1
        self.instruments.job_ran(kind, what)

    async def run(self) -> None:
        """Until cancelled: plan every `plan_interval`, run due jobs every `poll_interval` (or when woken)."""
        loop = asyncio.get_running_loop()
        # Processes started together should not all plan and poll in the same instant.
        await asyncio.sleep(random.uniform(0, min(1.0, self.config.poll_interval)))
        while True:
            try:
                if self._last_plan is None or loop.time() - self._last_plan >= self.config.plan_interval:
                    self._last_plan = loop.time()
                    await self.plan()
                while await self.run_once() >= self.config.batch:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The database may be restarting: try again next pass.
                log.warning("scheduler: pass failed", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.poll_interval):  # not wait_for: see bot/delivery.py
                    await self._wake.wait()
            self._wake.clear()


def _fields(job: Claimed) -> dict[str, Any]:
    return {"id": job.id, "key": job.key, "kind": job.kind, "run_at": job.run_at, "attempts": job.attempts}
