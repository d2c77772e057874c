"""`counselbot purge --ended-before DATE [--dry-run]`: delete the personal data of customers whose
contract ended before DATE without renewal (RULES.md §6).

Customers with bookings are anonymized (the bookings stay for accounting); others are deleted. Each
erase leaves an audit entry (ids and counts only). The output names customers by number only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from bot.console import dataops
from bot.console.clidb import add_database_option, database, database_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "purge", help="delete the data of customers whose contract ended (RULES.md §6)"
    )
    parser.add_argument("--ended-before", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--dry-run", action="store_true", help="list what would be erased, change nothing")
    add_database_option(parser)
    parser.set_defaults(func=_purge)


def _purge(args: argparse.Namespace) -> int:
    try:
        ended_before = dt.date.fromisoformat(args.ended_before)
    except ValueError:
        print(f"counselbot purge: {args.ended_before!r} is not a date (use YYYY-MM-DD)", file=sys.stderr)
        return 2

    async def run() -> list[dataops.PurgeItem]:
        db = database(url)
        try:
            return await dataops.purge(db, ended_before, dry_run=args.dry_run)
        finally:
            await db.dispose()

    url = database_url(args)
    items = asyncio.run(run())
    verb = (
        {"anonymize": "would anonymize", "delete": "would delete"}
        if args.dry_run
        else {"anonymize": "anonymized", "delete": "deleted"}
    )
    for item in items:
        c = item.counts
        print(
            f"customer {item.customer_id} (contract ended {item.contract_ended}): {verb[item.mode]} — "
            f"{c['identities']} chat(s), {c['conversations']} conversation(s), {c['bookings']} booking(s), "
            f"{c['requests']} request(s)"
        )
    what = "would be erased" if args.dry_run else "erased"
    print(f"{len(items)} customer(s) {what} (contract ended before {ended_before.isoformat()})")
    return 0
