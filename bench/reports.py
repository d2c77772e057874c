"""The reports page's numbers at scale: how long bot.console.reports.build takes for a range.

    .venv/bin/python bench/reports.py                          # SQLite, 100,000 conversations
    .venv/bin/python bench/reports.py --db postgres --conversations 20000

A fresh migrated database is seeded (bulk INSERTs) with conversations spread over 90 days, a third of
them handed to a person (a ticket claimed, answered and resolved by one of 8 agents), a CSAT answer for
half of those, a request for every tenth conversation and a no-show for every fiftieth. Then every
chart of the page is built for the last 7, 30 and 90 days, 5 times each; printed: rows in the range and
p50 / max of the build. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import database, ms, pct
from sqlalchemy import insert

from bot.console.i18n import translator
from bot.console.reports import build
from bot.i18n import JST
from storage.db import Database
from storage.models import Agent, Booking, Conversation, CsatSurvey, Request, Ticket, TranscriptMessage

CHANNELS = ("line", "telegram", "webchat")
LOCALES = ("ja", "en", "zh_Hans", "zh_Hant", "ko", "th", "vi")
KINDS = ("cancellation", "change", "late", "special")
BATCH = 5000


async def seed(db: Database, n: int, today: dt.date) -> None:
    end = dt.datetime.combine(today, dt.time(0), JST)
    async with db.write() as s:
        agents = [
            (await s.execute(insert(Agent).values(email=f"a{i}@x.example", name=f"Agent {i}", role="agent",
                                                  password_hash="x").returning(Agent.id))).scalar_one()
            for i in range(8)
        ]  # fmt: skip
    for first in range(0, n, BATCH):
        ids = range(first, min(n, first + BATCH))
        at = {i: end - dt.timedelta(minutes=(i * 1297) % (90 * 24 * 60)) for i in ids}
        async with db.write() as s:
            conv_rows = [
                {"channel": CHANNELS[i % 3], "user_id": f"u{i}", "locale": LOCALES[i % 7], "created_at": at[i],
                 "mode": "bot", "stack": {}, "version": 0, "link_failures": 0}
                for i in ids
            ]  # fmt: skip
            conv_ids = (
                (await s.execute(insert(Conversation).returning(Conversation.id), conv_rows)).scalars().all()
            )
            handed = [(c, i) for c, i in zip(conv_ids, ids, strict=True) if i % 3 == 0]
            ticket_rows = [
                {"conversation_id": c, "reason": "human", "priority": "normal", "status": "resolved",
                 "claimed_by": agents[i % 8], "created_at": at[i], "claimed_at": at[i] + dt.timedelta(minutes=i % 37),
                 "resolved_at": at[i] + dt.timedelta(minutes=30 + i % 211)}
                for c, i in handed
            ]  # fmt: skip
            ticket_ids = (await s.execute(insert(Ticket).returning(Ticket.id), ticket_rows)).scalars().all()
            await s.execute(insert(TranscriptMessage), [
                {"conversation_id": c, "author": "agent", "agent_id": agents[i % 8], "text": "hello",
                 "created_at": at[i] + dt.timedelta(minutes=1 + i % 41)}
                for c, i in handed
            ])  # fmt: skip
            await s.execute(insert(CsatSurvey), [
                {"ticket_id": t, "conversation_id": c, "agent_id": agents[i % 8], "rating": 1 + i % 5,
                 "asked_at": at[i] + dt.timedelta(hours=1)}
                for t, (c, i) in zip(ticket_ids, handed, strict=True) if i % 2 == 0
            ])  # fmt: skip
            await s.execute(insert(Request), [
                {"conversation_id": c, "kind": KINDS[i % 4], "status": "filed", "details": {},
                 "fee_jpy": 5000 if i % 4 == 0 else None, "dedupe_key": f"b{i}", "requested_at": at[i]}
                for c, i in zip(conv_ids, ids, strict=True) if i % 10 == 0
            ])  # fmt: skip
            await s.execute(insert(Booking), [
                {"reference": f"BK-{i:07d}", "clinic": "c", "kind": "treatment", "service_at": at[i],
                 "status": "no_show"}
                for i in ids if i % 50 == 0
            ])  # fmt: skip


async def main(kind: str, n: int) -> None:
    today = dt.datetime.now(JST).date()
    with tempfile.TemporaryDirectory() as tmp:
        async with database(kind, Path(tmp)) as url:
            db = Database(url)
            try:
                started = time.perf_counter()
                await seed(db, n, today)
                print(f"{kind}: seeded {n:,} conversations in {time.perf_counter() - started:.1f} s")
                for days in (7, 30, 90):
                    begin = today - dt.timedelta(days=days)
                    times = []
                    for _ in range(5):
                        t0 = time.perf_counter()
                        charts = await build(db, begin, today, translator(None))
                        times.append(time.perf_counter() - t0)
                    settled = next(c for c in charts if c["id"] == "settled")
                    rows = sum(settled["series"][0]["data"])
                    print(
                        f"  {days:>2} days: {rows:>7,} conversations  build p50 {ms(pct(times, 50))}  max {ms(max(times))}"
                    )
            finally:
                await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--conversations", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.db, args.conversations))
