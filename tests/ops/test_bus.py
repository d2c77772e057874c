"""The bus on PostgreSQL: every notification reaches the other connection or process, however many are
published at once; a publish or listen connection killed under it is replaced; an outage costs hints,
never a blocked caller."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.bus import MAX_NOTIFY_BYTES, Bus, Subscription, pg_dsn_from_url
from tests.support.wait import eventually

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ["outbox", "tickets", "conversation:1", "conversation:2"]
N = 200


def dsn(pg_url: str) -> str:
    value = pg_dsn_from_url(pg_url)
    assert value is not None
    return value


def database(pg_url: str) -> str:
    return dsn(pg_url).rsplit("/", 1)[1]


@contextlib.asynccontextmanager
async def started(pg_url: str, n: int = 2) -> AsyncIterator[list[Bus]]:
    buses = [Bus(dsn(pg_url)) for _ in range(n)]
    try:
        for bus in buses:
            await bus.start()
        yield buses
    finally:
        for bus in buses:
            await bus.stop()


@contextlib.asynccontextmanager
async def listening(bus: Bus, topics: list[str]) -> AsyncIterator[dict[str, Subscription]]:
    async with contextlib.AsyncExitStack() as stack:
        yield {t: await stack.enter_async_context(bus.subscribe(t)) for t in topics}


def drain(subs: dict[str, Subscription], into: dict[str, list[int]]) -> int:
    for topic, sub in subs.items():
        while not sub.queue.empty():
            into.setdefault(topic, []).append(sub.queue.get_nowait()["i"])
    return sum(len(v) for v in into.values())


def expected(n: int) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i in range(n):
        out.setdefault(TOPICS[i % len(TOPICS)], []).append(i)
    return out


async def received_exactly(subs: dict[str, Subscription], n: int) -> dict[str, list[int]]:
    got: dict[str, list[int]] = {}
    await eventually(lambda: drain(subs, got) >= n, timeout=20)
    await asyncio.sleep(0.3)  # anything doubled would arrive right behind
    drain(subs, got)
    return {t: sorted(v) for t, v in got.items()}


async def admin(pg_url: str, sql: str, *args: Any, db: str | None = None) -> list[Any]:
    target = dsn(pg_url) if db is None else dsn(pg_url).rsplit("/", 1)[0] + "/" + db
    conn = await asyncpg.connect(target)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def backends(pg_url: str, role: str) -> list[int]:
    rows = await admin(
        pg_url,
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
        database(pg_url),
        f"counselbot-bus-{role}",
        db="postgres",
    )
    return sorted(r["pid"] for r in rows)


async def terminate(pg_url: str, role: str) -> None:
    pids = await backends(pg_url, role)
    assert pids, f"no {role} connection"
    await admin(pg_url, "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", pids, db="postgres")
    await eventually(lambda: _gone(pg_url, role, pids))


async def _gone(pg_url: str, role: str, pids: list[int]) -> bool:
    return not set(pids) & set(await backends(pg_url, role))


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.bus" and r.levelno >= logging.WARNING]


async def test_concurrent_publishes_all_reach_the_other_connection(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.bus")
    async with started(pg_url) as (publisher, listener):
        async with listening(listener, TOPICS) as remote, listening(publisher, TOPICS) as local:
            await asyncio.gather(*(publisher.publish(TOPICS[i % 4], {"i": i}) for i in range(N)))
            assert await publisher.flush()
            assert await received_exactly(remote, N) == expected(N)
            # Its own notifications come back on its LISTEN connection too: the origin filters them.
            assert await received_exactly(local, N) == expected(N)
        stats = publisher.stats()
    assert stats["sent"] == N and stats["dropped"] == 0
    assert stats["batches"] < N, "each pending notification went in a round trip of its own"
    assert warnings(caplog) == []


CHILD = """
import asyncio, json, sys
from bot.bus import Bus

async def main() -> None:
    bus = Bus(sys.argv[1])
    await bus.start()
    topics = json.loads(sys.argv[3])
    n = int(sys.argv[2])
    await asyncio.gather(*(bus.publish(topics[i % len(topics)], {"i": i}) for i in range(n)))
    flushed = await bus.flush(30)
    print(json.dumps({"flushed": flushed, **bus.stats()}))
    await bus.stop()

asyncio.run(main())
"""


async def test_concurrent_publishes_in_another_process_all_arrive(pg_url: str) -> None:
    async with started(pg_url, n=1) as (listener,), listening(listener, TOPICS) as subs:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            dsn(pg_url),
            str(N),
            json.dumps(TOPICS),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(60):
            out, err = await child.communicate()
        assert child.returncode == 0, err.decode()
        # The child's warnings (an unconfigured logger prints them) would be on its stderr.
        assert err.decode() == ""
        report = json.loads(out)
        assert (report["flushed"], report["sent"], report["dropped"]) == (True, N, 0)
        assert 1 <= report["batches"] < N
        assert await received_exactly(subs, N) == expected(N)


async def test_a_killed_publish_connection_is_replaced_and_the_next_publish_arrives(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.bus")
    async with started(pg_url) as (publisher, listener), listening(listener, TOPICS) as subs:
        await publisher.publish("outbox", {"i": 0})
        assert await received_exactly(subs, 1) == {"outbox": [0]}
        before = await backends(pg_url, "publish")
        await terminate(pg_url, "publish")

        await publisher.publish("tickets", {"i": 1})
        assert await publisher.flush()
        assert await received_exactly(subs, 1) == {"tickets": [1]}
        after = await backends(pg_url, "publish")
        assert len(after) == 1 and after != before
        assert publisher.stats()["dropped"] == 0
    assert warnings(caplog) == []


async def test_a_killed_listen_connection_is_reopened(pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.bus")
    async with started(pg_url) as (publisher, listener), listening(listener, ["outbox"]) as subs:
        await terminate(pg_url, "listen")  # both buses' LISTEN connections
        await eventually(lambda: _count(pg_url, "listen", 2))
        # Published while nobody listened is gone (readers catch up from the database); after: heard.
        got: dict[str, list[int]] = {}
        await publisher.publish("outbox", {"i": 7})
        assert await publisher.flush()
        assert await received_exactly(subs, 1) == {"outbox": [7]}
        assert drain(subs, got) == 0
    assert warnings(caplog) == ["bus: LISTEN connection lost; reconnecting"] * 2


async def _count(pg_url: str, role: str, n: int) -> bool:
    return len(await backends(pg_url, role)) == n


async def test_an_outage_costs_hints_but_never_blocks_and_one_warning(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.bus")
    name = database(pg_url)
    async with started(pg_url) as (publisher, listener), listening(listener, TOPICS) as subs:
        await admin(pg_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false', db="postgres")
        try:
            await terminate(pg_url, "publish")
            t0 = time.monotonic()
            await asyncio.gather(*(publisher.publish(TOPICS[i % 4], {"i": i}) for i in range(N)))
            assert time.monotonic() - t0 < 0.5, "publish waited for the database"
            await eventually(lambda: publisher.stats()["dropped"] == N)
        finally:
            await admin(pg_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true', db="postgres")
        [warning] = warnings(caplog)
        assert warning.startswith("bus: NOTIFY failed (") and "catch up from the database" in warning

        async def heard() -> bool:
            await publisher.publish("outbox", {"i": N})
            await asyncio.sleep(0.2)
            return drain(subs, got) > 0

        got: dict[str, list[int]] = {}
        await eventually(heard, timeout=20)
        assert set(got) == {"outbox"} and set(got["outbox"]) == {N}
    assert len(warnings(caplog)) == 1


async def test_a_message_over_the_notify_cap_stays_in_this_process(pg_url: str) -> None:
    big = {"i": 0, "text": "x" * MAX_NOTIFY_BYTES}
    async with started(pg_url) as (publisher, listener):
        async with listening(listener, ["outbox"]) as remote, listening(publisher, ["outbox"]) as local:
            await publisher.publish("outbox", big)
            await publisher.publish("outbox", {"i": 1})
            assert await publisher.flush()
            assert await received_exactly(local, 2) == {"outbox": [0, 1]}
            assert await received_exactly(remote, 1) == {"outbox": [1]}
        assert publisher.stats()["sent"] == 1


@contextlib.asynccontextmanager
async def raw_notifications(pg_url: str) -> AsyncIterator[list[str]]:
    """Every notification on the bus's channel, as PostgreSQL delivers it (a plain LISTEN)."""
    got: list[str] = []
    conn = await asyncpg.connect(dsn(pg_url))
    await conn.add_listener("counselbot", lambda _c, _p, _ch, raw: got.append(raw))
    try:
        yield got
    finally:
        await conn.close()


async def test_a_batch_travels_bundled_in_few_notifications_and_arrives_whole_and_in_order(
    pg_url: str,
) -> None:
    async with started(pg_url) as (publisher, listener), raw_notifications(pg_url) as raw:
        async with listening(listener, TOPICS) as remote:
            for i in range(N):  # queued at once: one batch, or a few
                await publisher.publish(TOPICS[i % 4], {"i": i})
            assert await publisher.flush()
            assert await received_exactly(remote, N) == expected(N)
        await eventually(lambda: sum(len(json.loads(r)["messages"]) for r in raw) == N)
    assert len(raw) <= 10, f"{len(raw)} notifications for {N} messages"
    assert all(len(r) < MAX_NOTIFY_BYTES for r in raw)
    seqs = [m["seq"] for r in raw for m in json.loads(r)["messages"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == N


async def test_messages_near_the_cap_are_split_across_notifications_and_none_lost(pg_url: str) -> None:
    async with started(pg_url) as (publisher, listener), raw_notifications(pg_url) as raw:
        async with listening(listener, ["outbox"]) as remote:
            for i in range(12):
                await publisher.publish("outbox", {"i": i, "text": "é" * 500})  # 3,000 bytes escaped
            assert await publisher.flush()
            assert await received_exactly(remote, 12) == {"outbox": list(range(12))}
        await eventually(lambda: len(raw) >= 6)
    assert all(len(r.encode()) < MAX_NOTIFY_BYTES for r in raw)


async def test_a_notification_in_the_one_message_form_of_older_processes_is_still_delivered(
    pg_url: str,
) -> None:
    async with started(pg_url, 1) as (bus,), listening(bus, ["tickets"]) as subs:
        old = {"topic": "tickets", "payload": {"i": 7}, "origin": "123-0badc0de", "seq": 0}
        await admin(pg_url, "SELECT pg_notify('counselbot', $1)", json.dumps(old))
        assert await received_exactly(subs, 1) == {"tickets": [7]}
