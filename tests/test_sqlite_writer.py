"""The SQLite writer (storage/sqlite_writer.py, storage/sqlite_driver.py): group commit, durability,
an event loop that keeps running while commits (a slow fsync), long units and cancellations happen."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.cli import GC_THRESHOLDS as SERVE_GC_THRESHOLDS
from storage.db import Database
from storage.models import InboxEvent
from storage.repositories import inbox
from storage.sqlite_driver import SqliteConnection

NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    yield database
    await database.dispose()


def path_of(db: Database) -> str:
    database = make_url(db.url).database
    assert database
    return database


def fresh_ids(db: Database, prefix: str = "") -> set[str]:
    """What a brand-new connection (another process, after a crash) sees on disk."""
    conn = sqlite3.connect(path_of(db))
    try:
        rows = conn.execute("SELECT event_id FROM inbox_events WHERE event_id LIKE ?", (prefix + "%",))
        return {r[0] for r in rows}
    finally:
        conn.close()


async def write_connection(db: Database) -> SqliteConnection:
    async with db.write() as s:  # opens the write connection
        await inbox.store_once(s, "line", "warm-up", "text", NOW)
    assert db.writer is not None
    conn = db.writer.raw_connection()
    assert conn is not None
    return conn


async def store(db: Database, event_id: str) -> int | None:
    async with db.write() as s:
        return await inbox.store_once(s, "line", event_id, "text", NOW)


def cpu_wait_s() -> float:
    """How long this thread has waited for a CPU while runnable (Linux schedstat), 0 if unknown."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class Ticker:
    """Measures how late the event loop runs a task that wants to wake every 2 ms.

    The lag counted is the wall-clock lateness minus the time the loop's thread spent waiting for a
    CPU: on a shared machine other processes preempt us for tens of ms, which is not our loop
    blocking. A blocking call on the loop (an fsync, a sleep, a busy wait, the GIL held by another
    thread) is not CPU waiting and counts in full.
    """

    def __init__(self) -> None:
        self.worst_s = 0.0
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before, waited = time.perf_counter(), cpu_wait_s()
            await asyncio.sleep(0.002)
            late = time.perf_counter() - before - 0.002 - (cpu_wait_s() - waited)
            self.worst_s = max(self.worst_s, late)
            self.ticks += 1

    async def __aenter__(self) -> Ticker:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self._task


def slow_fsync(seconds: float) -> Callable[[], None]:
    return lambda: time.sleep(seconds)


async def test_concurrent_units_share_one_commit_and_each_caller_gets_its_own_result(db: Database) -> None:
    conn = await write_connection(db)
    assert db.writer is not None
    conn.commit_hook = slow_fsync(0.05)  # units arriving during a commit queue for the next one
    commits, units = db.writer.commits, db.writer.units
    ids = await asyncio.gather(*(store(db, f"g-{i}") for i in range(40)))
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 40  # each its own row id
    assert db.writer.units - units == 40
    assert db.writer.commits - commits < 40 / 4  # in fact 2: the first unit, then the 39 queued
    assert fresh_ids(db, "g-") == {f"g-{i}" for i in range(40)}


async def test_a_failing_unit_rolls_back_only_itself(db: Database) -> None:
    conn = await write_connection(db)
    assert db.writer is not None
    conn.commit_hook = slow_fsync(0.05)
    commits = db.writer.commits

    async def failing(i: int) -> None:
        async with db.write() as s:
            await inbox.store_once(s, "line", f"bad-{i}", "text", NOW)
            raise RuntimeError("the unit changes its mind")

    async def duplicate(i: int) -> None:
        async with db.write() as s:  # a constraint violation at flush, inside the batch
            s.add(InboxEvent(channel="line", event_id="warm-up", kind="text", received_at=NOW, stored_at=NOW))

    jobs = [
        store(db, f"ok-{i}") if i % 3 == 0 else failing(i) if i % 3 == 1 else duplicate(i) for i in range(30)
    ]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    assert all(isinstance(r, int) for r in results[0::3])
    assert all(isinstance(r, RuntimeError) for r in results[1::3])
    assert all(isinstance(r, IntegrityError) for r in results[2::3])
    assert fresh_ids(db, "ok-") == {f"ok-{i}" for i in range(0, 30, 3)}
    assert fresh_ids(db, "bad-") == set()
    assert db.writer.commits - commits < 10  # the ten good units did share commits
    assert await store(db, "after") is not None  # and the writer goes on


async def test_write_returns_only_once_the_unit_is_on_disk(db: Database) -> None:
    conn = await write_connection(db)
    entered, release = threading.Event(), threading.Event()

    def held_commit() -> None:
        entered.set()
        release.wait(10)

    conn.commit_hook = held_commit
    task = asyncio.create_task(store(db, "durable"))
    assert await asyncio.to_thread(entered.wait, 10)  # COMMIT has begun on the writer's thread
    assert not task.done()  # ... and the caller is still waiting for it
    assert fresh_ids(db, "durable") == set()
    release.set()
    assert await task is not None
    assert fresh_ids(db, "durable") == {"durable"}  # durable the moment write() returned


async def test_the_loop_keeps_running_during_a_burst_of_commits_with_a_slow_fsync(db: Database) -> None:
    conn = await write_connection(db)
    assert db.writer is not None
    conn.commit_hook = slow_fsync(0.1)  # a disk that takes 100 ms per fsync
    commits = db.writer.commits

    async def customer(c: int) -> None:
        for m in range(10):
            await store(db, f"burst-{c}-{m}")

    async with Ticker() as ticker:
        await asyncio.gather(*(customer(c) for c in range(20)))
    assert fresh_ids(db, "burst-") == {f"burst-{c}-{m}" for c in range(20) for m in range(10)}
    assert db.writer.commits - commits >= 10  # each fsync was a real wait...
    assert ticker.ticks > 100
    assert ticker.worst_s < 0.05, f"the loop stalled {ticker.worst_s * 1000:.0f} ms"  # ... not the loop's


async def test_the_loop_keeps_running_during_a_20000_row_import(db: Database) -> None:
    rows = [
        {"channel": "csv", "event_id": f"row-{i}", "kind": "text", "received_at": NOW, "stored_at": NOW}
        for i in range(20_000)
    ]
    # With the collector tuned as `counselbot serve` tunes it (bot.cli._tune_gc, without its freeze):
    # with the default thresholds a full collection of the test process's heap, tens of ms, could
    # fall inside the import, which is pytest's heap and not the loop blocking.
    thresholds = gc.get_threshold()
    gc.set_threshold(*SERVE_GC_THRESHOLDS)
    try:
        async with Ticker() as ticker:
            async with db.write() as s:  # one unit; statements of 500 rows, each on the writer's thread
                for start in range(0, len(rows), 500):
                    await s.execute(insert(InboxEvent), rows[start : start + 500])
    finally:
        gc.set_threshold(*thresholds)
    assert len(fresh_ids(db, "row-")) == 20_000
    assert ticker.ticks > 0
    assert ticker.worst_s < 0.05, f"the loop stalled {ticker.worst_s * 1000:.0f} ms"


async def test_a_long_unit_of_work_does_not_stall_reads(db: Database) -> None:
    await store(db, "before")
    inside, finish = asyncio.Event(), asyncio.Event()

    async def long_unit() -> None:
        async with db.write() as s:
            await inbox.store_once(s, "line", "long", "text", NOW)
            inside.set()
            await finish.wait()  # the writer is busy with this unit for as long as it likes

    task = asyncio.create_task(long_unit())
    await inside.wait()
    for _ in range(5):
        async with db.read() as s:
            seen = set((await s.execute(select(InboxEvent.event_id))).scalars())
        assert "before" in seen and "long" not in seen  # committed data only, and no waiting
    assert not task.done()
    finish.set()
    await task
    async with db.read() as s:
        assert (await s.execute(select(func.count()).where(InboxEvent.event_id == "long"))).scalar_one() == 1


async def test_a_caller_cancelled_mid_unit_leaves_the_database_consistent(db: Database) -> None:
    await write_connection(db)
    inside = asyncio.Event()

    async def abandoned() -> None:
        async with db.write() as s:
            for i in range(3):
                await inbox.store_once(s, "line", f"half-{i}", "text", NOW)
            inside.set()
            await asyncio.sleep(30)  # cancelled here, half-way through its unit
            await inbox.store_once(s, "line", "half-never", "text", NOW)

    task = asyncio.create_task(abandoned())
    await inside.wait()
    others = [asyncio.create_task(store(db, f"other-{i}")) for i in range(5)]  # queued behind it
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert all(isinstance(r, int) for r in await asyncio.gather(*others))
    assert fresh_ids(db, "half-") == set()  # nothing of the cancelled unit
    assert fresh_ids(db, "other-") == {f"other-{i}" for i in range(5)}


async def test_a_caller_cancelled_during_a_statement_on_the_thread_leaves_it_whole_or_absent(
    db: Database,
) -> None:
    await write_connection(db)
    rows = [
        {"channel": "csv", "event_id": f"bulk-{i}", "kind": "text", "received_at": NOW, "stored_at": NOW}
        for i in range(5000)
    ]

    async def bulk() -> None:
        async with db.write() as s:
            await s.execute(insert(InboxEvent), rows)  # many rows: on the writer's thread
            await asyncio.sleep(0)  # the first await that is not a database call
            await inbox.store_once(s, "csv", "bulk-tail", "text", NOW)

    task = asyncio.create_task(bulk())
    await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stored = fresh_ids(db, "bulk-")
    assert len(stored) in (0, 5001)  # the unit is atomic, whatever the moment it was cancelled
    assert await store(db, "after-cancel") is not None  # the write connection survived
    assert fresh_ids(db, "after-cancel") == {"after-cancel"}


async def test_callers_cancelled_while_queued_do_not_strand_the_batch(db: Database) -> None:
    await write_connection(db)
    inside, finish = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with db.write() as s:
            await inbox.store_once(s, "line", "first", "text", NOW)
            inside.set()
            await finish.wait()

    holder = asyncio.create_task(first())
    await inside.wait()
    queued = [asyncio.create_task(store(db, f"queued-{i}")) for i in range(3)]
    await asyncio.sleep(0.01)  # all three are waiting for the writer
    for q in queued:
        q.cancel()
    await asyncio.gather(*queued, return_exceptions=True)
    finish.set()
    await asyncio.wait_for(holder, 10)  # committed although those expected to carry it on left
    assert fresh_ids(db, "first") == {"first"}
    assert fresh_ids(db, "queued-") == set()
