"""A dead letter an agent chose to retry: a job, so it is revived once however many processes run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.bus import Bus
from bot.config import Settings
from bot.delivery import DeliveryWorker
from bot.engine import Engine
from bot.ops.housekeeping import RETRY_DEAD, retry_dead_handler, retry_dead_key
from bot.scheduler import Scheduler
from storage.db import Database
from storage.models import Job, OutboxMessage
from storage.repositories import jobs
from tests.support.collecting import CollectingSender, event


async def test_an_agents_retry_of_a_dead_letter_sends_it_once(settings: Settings) -> None:
    dbs = [Database(settings.database_url), Database(settings.database_url)]
    try:
        db = dbs[0]
        await Engine(db, settings, Bus()).handle(event("rita", "hello"))
        broken = CollectingSender(always_fail={"rita"}, permanent=True)
        await DeliveryWorker(db, settings, Bus(), {"webchat": broken}).run_once()
        async with db.read() as s:
            row = (await s.execute(select(OutboxMessage))).scalar_one()
        assert row.status == "dead"

        # Two agents press "retry" (or one presses twice): one job.
        now = dt.datetime.now(dt.UTC)
        for _ in range(2):
            async with db.write() as s:
                key = retry_dead_key(row.id, row.attempts)
                await jobs.plan(s, [jobs.Planned(key, RETRY_DEAD, now, {"outbox_id": row.id})])
        schedulers = [Scheduler(d, {RETRY_DEAD: retry_dead_handler(d, Bus())}) for d in dbs]
        ran = [await sch.run_once(now + dt.timedelta(seconds=1)) for sch in schedulers]
        assert sum(ran) == 1

        fixed = CollectingSender()
        worker = DeliveryWorker(db, settings, Bus(), {"webchat": fixed})
        while await worker.run_once():
            pass
        assert len(fixed.sent) == 1
        async with db.read() as s:
            assert (await s.execute(select(OutboxMessage.status))).scalar_one() == "sent"
            assert [j.status for j in (await s.execute(select(Job))).scalars()] == ["done"]
    finally:
        for d in dbs:
            await d.dispose()
