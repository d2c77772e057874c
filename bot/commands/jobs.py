"""`counselbot jobs list|run-once`: the scheduled work in the database, and one scheduler pass by hand.

`serve` runs the scheduler in every process already; `run-once` is for a maintenance window, a cron
set-up without a long-running server, or checking what a pass would do (`--dry-run` only plans).
Output names jobs by key and outcome: ids and dates, never customers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt

from bot.console.clidb import add_database_option, settings_from
from bot.logs import configure


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("jobs", help="scheduled work: reminders, the daily purge")
    sub = parser.add_subparsers(dest="jobs_command", required=True)
    listing = sub.add_parser("list", help="jobs in the database, newest first")
    listing.add_argument("--status", choices=["pending", "running", "done", "failed"])
    listing.add_argument("--limit", type=int, default=50)
    add_database_option(listing)
    listing.set_defaults(func=_list)
    once = sub.add_parser("run-once", help="plan what is due, then run what is due now (one pass)")
    once.add_argument("--dry-run", action="store_true", help="only plan; run nothing")
    add_database_option(once)
    once.set_defaults(func=_run_once)


def _list(args: argparse.Namespace) -> int:
    from storage.db import Database
    from storage.models import Job
    from storage.repositories import jobs

    settings = settings_from(args)

    async def run() -> list[Job]:
        db = Database(settings.database_url)
        try:
            async with db.read() as s:
                return await jobs.recent(s, args.status or None, max(1, args.limit))
        finally:
            await db.dispose()

    for job in asyncio.run(run()):
        outcome = job.data.get("outcome") or job.last_error or ""
        print(
            f"{job.run_at.isoformat(timespec='minutes')}  {job.status:<7}  {job.attempts}  {job.key}  {outcome}"
        )
    return 0


def _run_once(args: argparse.Namespace) -> int:
    from bot.bus import Bus, pg_dsn_from_url
    from bot.channels import AppContext
    from bot.engine import Engine
    from bot.ops import build_scheduler
    from storage.db import Database

    settings = settings_from(args)
    configure(settings.log_format, settings.log_level)

    async def run() -> tuple[int, int]:
        db = Database(settings.database_url)
        # On PostgreSQL the running servers' delivery workers hear of new replies at once.
        bus = Bus(pg_dsn_from_url(settings.database_url))
        await bus.start()
        try:
            scheduler = build_scheduler(AppContext(settings, db, Engine(db, settings, bus), bus))
            now = dt.datetime.now(dt.UTC)
            planned = await scheduler.plan(now)
            ran = 0
            if not args.dry_run:
                while (n := await scheduler.run_once(now)) > 0:
                    ran += n
            return planned, ran
        finally:
            await bus.stop()
            await db.dispose()

    planned, ran = asyncio.run(run())
    print(f"{planned} job(s) planned, {ran} run" + (" (dry run: nothing run)" if args.dry_run else ""))
    return 0
