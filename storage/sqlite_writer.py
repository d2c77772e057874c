"""The SQLite writer: one write connection, units of work run one after another, committed in groups.

Each unit runs inside a SAVEPOINT of the batch's transaction (BEGIN IMMEDIATE). When a unit ends
and other units are already queued behind it, it leaves the transaction open for them; the last
unit of the queue (or the MAX_BATCH-th) hands the batch to a commit task, which runs COMMIT (the
fsync) on the connection's thread. Units arriving meanwhile queue up and form the next batch. So one
fsync makes many units durable, the loop never waits for it, and every caller still returns from
`unit()` only once its own unit is on disk. A unit that fails rolls back to its savepoint: the
others in its batch keep their writes. See docs/adr/0002-sqlite-writer.md.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, AsyncTransaction
from sqlalchemy.orm import Session

from storage.sqlite_driver import SqliteConnection
from storage.sqlite_thread import to_the_end

T = TypeVar("T")

MAX_BATCH = 64  # units per commit at most: bounds the first unit's wait for the last


class BatchLost(Exception):
    """The batch's transaction ended before COMMIT (SQLite rolled it back): the unit is not saved."""


class _Batch:
    def __init__(self) -> None:
        self.units = 0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def finish(self, error: BaseException | None) -> None:
        if not self.done.done():
            if error is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(error)
                self.done.exception()  # retrieved: a batch of failed units has nobody to await it


def _commit_and_close(session: Session) -> None:
    """One hop into SQLAlchemy's sync layer for both (AsyncSession's commit and close take one each).
    The unit is saved once commit returns: a failing close (the session is dropped anyway) must not
    report it failed."""
    session.commit()
    with contextlib.suppress(Exception):
        session.close()


class SqliteWriter:
    def __init__(self, engine: AsyncEngine, session_options: dict[str, Any]) -> None:
        self._engine = engine
        self._session_options = session_options
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._batch: _Batch | None = None
        self._lock = asyncio.Lock()
        self._waiting = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self.commits = 0  # counted for tests and the benchmark
        self.units = 0

    @contextlib.asynccontextmanager
    async def unit(self) -> AsyncIterator[AsyncSession]:
        await self._acquire()
        try:
            session = await self._open_unit()
        except BaseException:
            await to_the_end(self._spawn(self._hand_on()))
            raise
        try:
            yield session
        except BaseException:
            await to_the_end(self._spawn(self._end_unit(session, ok=False)))
            raise
        batch = await to_the_end(self._spawn(self._end_unit(session, ok=True)))
        await asyncio.shield(batch.done)  # durable: COMMIT has returned

    async def _acquire(self) -> None:
        self._waiting += 1
        try:
            await self._lock.acquire()
        except BaseException:
            self._waiting -= 1
            if self._waiting == 0 and self._batch is not None and not self._lock.locked():
                self._spawn(self._commit_pending())  # we were the one expected to carry the batch on
            raise
        self._waiting -= 1

    async def _open_unit(self) -> AsyncSession:
        if self._conn is None:
            self._conn = await self._engine.connect()
        if self._batch is None:
            try:
                self._tx = await self._conn.begin()  # BEGIN IMMEDIATE, on the thread
            except BaseException:
                await self._reset()
                raise
            self._batch = _Batch()
        return AsyncSession(
            bind=self._conn, join_transaction_mode="create_savepoint", **self._session_options
        )

    async def _end_unit(self, session: AsyncSession, *, ok: bool) -> _Batch:
        """RELEASE (or ROLLBACK TO) the unit's savepoint, then pass the lock on. Runs as its own task:
        a cancelled caller cannot interrupt it half-way."""
        error: BaseException | None = None
        try:
            if ok:
                await session.run_sync(_commit_and_close)  # flush + RELEASE SAVEPOINT
        except BaseException as exc:
            error, ok = exc, False
        if not ok:
            with contextlib.suppress(Exception):
                await session.rollback()  # ROLLBACK TO SAVEPOINT: this unit only
            await session.close()
        batch = self._batch
        assert batch is not None
        if not self._transaction_alive():  # SQLite ended the whole transaction (e.g. disk full)
            self._batch = None
            lost = error or BatchLost("the transaction was rolled back before commit")
            batch.finish(lost)
            await self._reset()
        elif ok:
            batch.units += 1
            self.units += 1
        await self._hand_on()
        if error is not None:
            raise error
        return batch

    async def _hand_on(self) -> None:
        """Lets the next queued unit continue the batch, or commits it if nobody is queued."""
        batch = self._batch
        if batch is not None and (self._waiting == 0 or batch.units >= MAX_BATCH):
            self._spawn(self._commit_then_release())
        else:
            self._lock.release()

    async def _commit_pending(self) -> None:
        await self._lock.acquire()
        await self._hand_on()

    async def _commit_then_release(self) -> None:
        batch, tx = self._batch, self._tx
        self._batch = self._tx = None
        try:
            if batch is not None and tx is not None:
                await self._finish_batch(batch, tx)
        finally:
            self._lock.release()

    async def _finish_batch(self, batch: _Batch, tx: AsyncTransaction) -> None:
        try:
            if batch.units:
                await tx.commit()  # COMMIT: the fsync, on the thread
                self.commits += 1
            else:
                await tx.rollback()  # only failed units: nothing to keep
        except BaseException as exc:
            batch.finish(exc)
            await self._reset()
            if not isinstance(exc, Exception):
                raise
        else:
            batch.finish(None)

    def _transaction_alive(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.invalidated and self._raw().in_transaction

    def _raw(self) -> SqliteConnection:
        assert self._conn is not None
        raw: Any = self._conn.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
        assert isinstance(raw, SqliteConnection)
        return raw

    async def _reset(self) -> None:
        """After a failed COMMIT or a lost transaction: a fresh connection for the next batch."""
        conn, self._conn, self._tx = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    def _spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def raw_connection(self) -> SqliteConnection | None:
        """The write connection's DBAPI wrapper, once opened (tests set its commit_hook)."""
        return self._raw() if self._conn is not None else None

    async def close(self, wait_s: float = 10.0) -> None:
        """Waits (a while) for the unit running and the batch being committed, then closes."""
        try:
            await asyncio.wait_for(self._lock.acquire(), wait_s)
        except TimeoutError:
            held = False  # a unit that never ends must not hold the shutdown up for ever
        else:
            held = True
        try:
            for task in list(self._tasks):
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(asyncio.shield(task), wait_s)
            if self._conn is not None:
                conn, self._conn, self._tx, self._batch = self._conn, None, None, None
                await conn.close()
        finally:
            if held:
                self._lock.release()
