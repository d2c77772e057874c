"""Events per second through the engine (no HTTP): N conversations x M messages, SQLite and PostgreSQL.

    python bench/engine.py [--conversations 1000] [--messages 5] [--concurrency 32] [--backend sqlite|postgres|both]

Every event is durably committed (SQLite synchronous=FULL in WAL mode) before it counts. Prints
events/s and p50/p99 latency per event. A benchmark, not a test: nothing asserts on its numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from sqlalchemy import event as sa_event

from bot.bus import Bus
from bot.config import Settings
from bot.engine import Engine
from bot.events import ConversationKey, InboundEvent, TextIn
from storage.db import Database
from storage.migrate import upgrade
from storage.repositories import common

TEXTS = ("hello", "I want to check my booking", "thanks", "what about payment?", "ok")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def run(url: str, conversations: int, messages: int, concurrency: int) -> dict[str, float]:
    """The engine alone (no HTTP, no delivery); prints the SQL statements it sends per event."""
    settings = Settings(_env_file=None, database_url=url, secret_key="bench")  # type: ignore[call-arg,arg-type]
    db = Database(url, pool_size=concurrency)
    engine = Engine(db, settings, Bus())
    statements: dict[str, int] = {}

    def _count(_c: object, _cur: object, sql: str, *_: object) -> None:
        # Keyed by the statement's first words, so the print shows what kind of statements they are.
        words = sql.split()
        # A savepoint's name changes with every unit: counted by its kind.
        kept = {"SAVEPOINT": 1, "RELEASE": 2}.get(words[0], 3)
        verb = " ".join(words[:kept])[:48]
        statements[verb] = statements.get(verb, 0) + 1

    for sa_engine in db.engines:  # SQLite: the readers' engine and the writer's
        sa_event.listen(sa_engine.sync_engine, "before_cursor_execute", _count)
    # Hot-path statements that run on the DBAPI cursor directly (storage.repositories.common).
    common.direct_listeners[:] = [lambda sql: _count(None, None, sql)]

    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for c in range(conversations):
        queue.put_nowait(c)

    async def customer() -> None:
        while not queue.empty():
            c = queue.get_nowait()
            key = ConversationKey("webchat", f"bench-{c}")
            for m in range(messages):
                event = InboundEvent(key, f"{c}-{m}", dt.datetime.now(dt.UTC), TextIn(TEXTS[m % len(TEXTS)]))
                t0 = time.perf_counter()
                await engine.handle(event)
                latencies.append(time.perf_counter() - t0)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(customer() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await db.dispose()
    latencies.sort()
    total = sum(statements.values())
    for verb, n in sorted(statements.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {n / len(latencies):6.2f}/event  {verb}")
    return {
        "statements_per_event": total / len(latencies),
        "events": len(latencies),
        "seconds": elapsed,
        "events_per_s": len(latencies) / elapsed,
        # CPU of the whole process (every thread) per event: comparable on a noisy machine, unlike events/s.
        "cpu_ms": cpu / len(latencies) * 1000,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def pg_database() -> tuple[str, str]:
    name = f"cb_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return name, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def drop(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    print(
        f"{args.conversations} conversations x {args.messages} messages, {args.concurrency} concurrent customers"
    )
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            upgrade(url)
            r = asyncio.run(run(url, args.conversations, args.messages, args.concurrency))
            size = Path(f"{tmp}/bench.db").stat().st_size + sum(
                p.stat().st_size for p in Path(tmp).glob("bench.db-*")
            )
        print(
            f"sqlite:     {r['events_per_s']:8.0f} events/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms"
            f"  {r['statements_per_event']:.1f} statements/event"
            f"  {r['cpu_ms']:.2f} ms CPU/event  ({r['events']:.0f} events in {r['seconds']:.1f} s, db {size / 1e6:.1f} MB)"
        )
    if args.backend in ("postgres", "both"):
        name, url = asyncio.run(pg_database())
        try:
            upgrade(url)
            r = asyncio.run(run(url, args.conversations, args.messages, args.concurrency))
        finally:
            asyncio.run(drop(name))
        print(
            f"postgresql: {r['events_per_s']:8.0f} events/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms"
            f"  {r['statements_per_event']:.1f} statements/event  {r['cpu_ms']:.2f} ms CPU/event"
            f"  ({r['events']:.0f} events in {r['seconds']:.1f} s)"
        )


if __name__ == "__main__":
    main()
