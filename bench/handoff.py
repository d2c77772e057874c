"""What a handoff costs with business hours, presence and auto-assignment: statements and latency.

    python bench/handoff.py [--customers 300] [--agents 10] [--backend sqlite|postgres|both]

Each customer says "hello" and then asks for a person; the second event is the handoff turn, which
loads the hours, the team and the recent waits and (in auto mode) assigns the ticket. Prints, per
handoff event, the SQL statements and p50/p99 latency, for manual and auto assignment. Nothing asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event as sa_event

from bench.engine import drop, pg_database
from bot.bus import Bus
from bot.config import Settings
from bot.engine import Engine
from bot.events import ChoiceIn, ConversationKey, InboundEvent, TextIn
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Agent, AgentSession
from storage.repositories import hours as hours_repo

LANGS = ("ja,en", "en,zh", "th,en", "vi,en", "ko,en")


async def seed(db: Database, agents: int, mode: str, now: dt.datetime) -> None:
    async with db.write() as s:
        for weekday in range(7):
            await hours_repo.set_weekday(s, weekday, [(0, 24 * 60)])
        await hours_repo.set_setting(s, "assignment", mode)
        await hours_repo.set_setting(s, "capacity", "1000")
        for n in range(agents):
            a = Agent(email=f"a{n}@bench.example", name=f"A{n}", password_hash="x", languages=LANGS[n % 5])
            s.add(a)
            await s.flush()
            s.add(
                AgentSession(
                    id=f"s{n}".ljust(64, "0"),
                    agent_id=a.id,
                    csrf_token="t",
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + dt.timedelta(hours=8),
                    verified_at=now,
                )
            )


async def run(url: str, customers: int, agents: int, mode: str) -> tuple[float, float, float]:
    settings = Settings(_env_file=None, database_url=url, secret_key="bench")  # type: ignore[call-arg,arg-type]
    db = Database(url)
    now = dt.datetime.now(dt.UTC)
    await seed(db, agents, mode, now)
    engine = Engine(db, settings, Bus())
    counting = [False]
    statements = [0]

    def _count(*_: object) -> None:
        if counting[0]:
            statements[0] += 1

    for sa_engine in db.engines:
        sa_event.listen(sa_engine.sync_engine, "before_cursor_execute", _count)
    latencies = []
    for c in range(customers):
        key = ConversationKey("webchat", f"bench-{c}")
        await engine.handle(InboundEvent(key, f"{c}-0", now, TextIn("hello")))
        counting[0] = True
        t0 = time.perf_counter()
        await engine.handle(InboundEvent(key, f"{c}-1", now, ChoiceIn("human")))
        latencies.append(time.perf_counter() - t0)
        counting[0] = False
    await db.dispose()
    latencies.sort()
    return (
        statements[0] / customers,
        statistics.median(latencies) * 1000,
        latencies[int(customers * 0.99) - 1] * 1000,
    )


def report(backend: str, mode: str, r: tuple[float, float, float]) -> None:
    print(f"{backend:10} {mode:6}  {r[0]:5.1f} statements/handoff  p50 {r[1]:6.2f} ms  p99 {r[2]:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    print(f"{args.customers} handoffs, one at a time, {args.agents} agents online")
    for mode in ("manual", "auto"):
        if args.backend in ("sqlite", "both"):
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                upgrade(url)
                report("sqlite", mode, asyncio.run(run(url, args.customers, args.agents, mode)))
        if args.backend in ("postgres", "both"):
            name, url = asyncio.run(pg_database())
            try:
                upgrade(url)
                report("postgresql", mode, asyncio.run(run(url, args.customers, args.agents, mode)))
            finally:
                asyncio.run(drop(name))


if __name__ == "__main__":
    main()
