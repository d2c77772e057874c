"""The daily purge (RULES.md §6: when a contract ends without renewal the personal data is deleted
promptly) as a scheduled job: planned once per JST day, run by one process."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.attachments.store import ContentStore
from bot.bus import Bus
from bot.i18n import JST
from bot.scheduler import Handler, JobRun
from storage.db import Database
from storage.repositories import outbox
from storage.repositories.jobs import Planned

PURGE = "purge"
PURGE_AT = dt.time(3, 0)  # JST: the quietest hour


async def plan_purge(session: AsyncSession, now: dt.datetime) -> list[Planned]:
    today = now.astimezone(JST).date()
    run_at = dt.datetime.combine(today, PURGE_AT, tzinfo=JST).astimezone(dt.UTC)
    return [Planned(f"purge:{today.isoformat()}", PURGE, run_at, {"ended_before": today.isoformat()})]


def purge_handler(db: Database, store: ContentStore | None = None) -> Handler:
    async def run(job: JobRun) -> str:
        # Imported here: the console's data operations are only needed when the job runs.
        from bot.console import dataops

        ended_before = dt.date.fromisoformat(str(job.job.data["ended_before"]))
        done = await dataops.purge(db, ended_before, dry_run=False, actor="scheduler", store=store)
        return f"erased {len(done)} customer(s)"

    return run


RETRY_DEAD = "retry_dead_letter"


def retry_dead_key(outbox_id: int, attempts: int) -> str:
    """One retry per dead instance: pressing "retry" twice queues it once; a later death may retry again."""
    return f"{RETRY_DEAD}:{outbox_id}:{attempts}"


def retry_dead_handler(db: Database, bus: Bus) -> Handler:
    """A dead letter an agent chose to retry goes back to the outbox, fresh: the worker sends it again."""

    async def run(job: JobRun) -> str:
        outbox_id = int(job.job.data["outbox_id"])
        async with db.write() as s:
            revived = await outbox.revive_dead(s, outbox_id, dt.datetime.now(dt.UTC))
        if revived:
            await bus.publish("outbox", {"id": outbox_id})
        return "back in the outbox" if revived else "not dead any more: nothing to do"

    return run
