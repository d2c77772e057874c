"""The daily purge (RULES.md §6: when a contract ends without renewal the personal data is deleted
promptly) as a scheduled job: planned once per JST day, run by one process."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import JST
from bot.scheduler import Handler, JobRun
from storage.db import Database
from storage.repositories.jobs import Planned

PURGE = "purge"
PURGE_AT = dt.time(3, 0)  # JST: the quietest hour


async def plan_purge(session: AsyncSession, now: dt.datetime) -> list[Planned]:
    today = now.astimezone(JST).date()
    run_at = dt.datetime.combine(today, PURGE_AT, tzinfo=JST).astimezone(dt.UTC)
    return [Planned(f"purge:{today.isoformat()}", PURGE, run_at, {"ended_before": today.isoformat()})]


def purge_handler(db: Database) -> Handler:
    async def run(job: JobRun) -> str:
        # Imported here: the console's data operations are only needed when the job runs.
        from bot.console import dataops

        ended_before = dt.date.fromisoformat(str(job.job.data["ended_before"]))
        done = await dataops.purge(db, ended_before, dry_run=False, actor="scheduler")
        return f"erased {len(done)} customer(s)"

    return run
