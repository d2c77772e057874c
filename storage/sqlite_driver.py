"""SQLite for SQLAlchemy's asyncio extension, with no statement able to hold the event loop for long.

A registered dialect (`sqlite+counselbot://`) built on SQLAlchemy's pysqlite dialect, whose DBAPI
connection is our own small PEP 249 wrapper around `sqlite3` (no aiosqlite, no imitation of another
adapter's private attributes). Each call is placed by what it costs:

- On the connection's own thread, always: opening it (PRAGMA journal_mode may wait for a lock),
  BEGIN IMMEDIATE (waits, in busy_timeout, while another process writes), COMMIT (the fsync, and the
  WAL checkpoint SQLite runs at commit), closing it (the last close checkpoints).
- Inline on the loop: statements measured to be fast. On a local file a typical statement takes
  microseconds, and one thread hop costs more than that (and, under load, a whole loop iteration).
- On the thread: a statement whose last run took longer than `SLOW_S`, the first run of a write
  statement (nothing is known about it yet), and executemany with many rows. An inline SELECT runs
  under a progress handler: past `SLOW_S` it is interrupted (harmless for a SELECT) and re-run on
  the thread. A connection that has run inline for `YIELD_AFTER_S` without the loop getting control
  yields once before its next statement, so a long unit of fast statements shares the loop too.

See docs/adr/0002-sqlite-writer.md.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import AdaptedConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.util.concurrency import await_, in_greenlet

from storage import statements
from storage.sqlite_thread import ConnectionThread, to_the_end

SLOW_S = 0.002  # a statement slower than this runs on the thread next time
YIELD_AFTER_S = 0.005  # inline time after which a connection lets the loop run
MANY_ROWS = 100  # executemany with more rows than this runs on the thread
# How long a call waits, on the thread, for a lock held by another process (serve --workers, a CLI
# command). Inline calls never wait (busy_timeout 0): a lock they meet sends them to the thread.
BUSY_WAIT_S = 30.0


class Pace:
    """What this process has learned about how long each statement takes (by SQL text)."""

    def __init__(self, *, everything_offloaded: bool = False) -> None:
        self.last_s: dict[str, float] = {}
        self.everything_offloaded = everything_offloaded  # for measuring the alternative
        self.inline_calls = 0
        self.thread_calls = 0

    def inline(self, sql: str, *, write_role: bool, rows: int = 1) -> bool:
        if self.everything_offloaded or rows > MANY_ROWS:
            return False
        # A statement seen before (almost every call) is one lookup; only the rest are classified.
        last = self.last_s.get(sql)
        if last is None and _is_savepoint(sql):
            return True  # SAVEPOINT / RELEASE / ROLLBACK TO: bookkeeping, and a new name every time
        if last is None:
            # a read is guarded by the progress handler; a write is measured once on the thread
            return not write_role or _is_select(sql)
        return last < SLOW_S

    def learn(self, sql: str, seconds: float) -> None:
        if sql in self.last_s or not _is_savepoint(sql):
            self.last_s[sql] = seconds


def _is_select(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"


def _is_savepoint(sql: str) -> bool:
    head = sql.lstrip()[:11].upper()
    return head.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class _Interrupted(Exception):
    pass


class SqliteCursor:
    """A buffered PEP 249 cursor: every statement's rows are fetched where it ran."""

    arraysize = 1

    def __init__(self, conn: SqliteConnection) -> None:
        self._conn = conn
        self._rows: collections.deque[Any] = collections.deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    def execute(self, sql: str, parameters: Any = ()) -> SqliteCursor:
        self._take(self._conn.run(sql, lambda c: c.execute(sql, parameters or ())))
        return self

    def executemany(self, sql: str, seq: Sequence[Any]) -> SqliteCursor:
        rows = len(seq) if hasattr(seq, "__len__") else MANY_ROWS + 1
        self._take(self._conn.run(sql, lambda c: c.executemany(sql, seq), rows=rows))
        return self

    def _take(self, outcome: tuple[Any, list[Any], int, int | None]) -> None:
        self.description, rows, self.rowcount, self.lastrowid = outcome
        self._rows = collections.deque(rows)

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        n = min(size or self.arraysize, len(self._rows))
        return [self._rows.popleft() for _ in range(n)]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's asyncio extension calls this on every async-adapted cursor after a result
        is buffered; ours always is, and holds no statement open."""
        return None

    def setinputsizes(self, *sizes: Any) -> None:
        return None

    def setoutputsize(self, *args: Any) -> None:
        return None

    def nextset(self) -> None:
        return None


class SqliteConnection(AdaptedConnection):
    """The DBAPI connection SQLAlchemy sees. `role` is "write" (one per Database: BEGIN IMMEDIATE,
    COMMIT on the thread) or "read" (BEGIN DEFERRED inline: in WAL a reader never waits for a writer).
    """

    __slots__ = (
        "_changes",
        "_deadline",
        "_inline_end",
        "_inline_s",
        "_pace",
        "_role",
        "_sqlite",
        "_thread",
        "commit_hook",
    )

    def __init__(self, raw: sqlite3.Connection, thread: ConnectionThread, role: str, pace: Pace) -> None:
        self._sqlite = raw
        self._connection = cast(Any, raw)  # AdaptedConnection.driver_connection
        self._thread = thread
        self._role = role
        self._pace = pace
        self._inline_s = 0.0
        self._inline_end = 0.0
        self._deadline = float("inf")
        self._changes = raw.total_changes
        # test-only: called on the thread just before COMMIT (simulates a slow fsync)
        self.commit_hook: Callable[[], None] | None = None

    @property
    def raw(self) -> sqlite3.Connection:
        return self._sqlite

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    # -- where calls run ------------------------------------------------------------------------
    def off_loop(self, fn: Callable[[], Any]) -> Any:
        """Runs fn on this connection's thread, the loop free meanwhile (one hop)."""
        self._pace.thread_calls += 1
        self._inline_s = 0.0  # the loop ran while we waited
        return _hop(self._thread, fn)

    def run(self, sql: str, step: Callable[[sqlite3.Cursor], Any], rows: int = 1) -> Any:
        if self._pace.inline(sql, write_role=self._role == "write", rows=rows):
            try:
                return self._inline(sql, step)
            except _Interrupted:
                self._pace.learn(sql, SLOW_S)  # slow: on the thread from now on
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                # a lock held by another process (rare for a reader in WAL): wait for it off the loop
                return self.off_loop(lambda: self._waiting(lambda: self._timed(sql, step, on_thread=True)))
        return self.off_loop(lambda: self._timed(sql, step, on_thread=True))

    def _inline(self, sql: str, step: Callable[[sqlite3.Cursor], Any]) -> Any:
        started = time.perf_counter()
        if started - self._inline_end > 0.001:
            self._inline_s = 0.0  # a gap: the loop has had its turn since
        elif self._inline_s > YIELD_AFTER_S and in_greenlet():
            await_(to_the_end(asyncio.sleep(0)))
            self._inline_s, started = 0.0, time.perf_counter()
        self._pace.inline_calls += 1
        guarded = _is_select(sql)
        if guarded:
            self._deadline = started + SLOW_S
            self.raw.set_progress_handler(self._over_budget, 2000)
        try:
            return self._timed(sql, step, on_thread=False)
        except sqlite3.OperationalError as exc:
            if guarded and "interrupted" in str(exc):
                raise _Interrupted from exc
            raise
        finally:
            if guarded:
                self.raw.set_progress_handler(None, 0)
            self._inline_end = time.perf_counter()
            self._inline_s += self._inline_end - started

    def _over_budget(self) -> int:
        return 1 if time.perf_counter() > self._deadline else 0

    def _timed(self, sql: str, step: Callable[[sqlite3.Cursor], Any], *, on_thread: bool) -> Any:
        # Inline, the wall-clock time is what the loop lost. On the thread, the thread's CPU time:
        # its wall-clock time includes waiting for the GIL while the loop runs, which says nothing
        # about the statement (and would keep a fast statement on the thread for ever).
        clock = time.thread_time if on_thread else time.perf_counter
        started = clock()
        cursor = self.raw.cursor()
        try:
            step(cursor)
            rows = cursor.fetchall() if cursor.description else []
            return cursor.description, rows, cursor.rowcount, cursor.lastrowid
        finally:
            cursor.close()
            self._pace.learn(sql, clock() - started)

    def _waiting(self, fn: Callable[[], Any]) -> Any:
        """On the thread: a call that met another process's lock waits for it there."""
        self.raw.execute(f"PRAGMA busy_timeout={int(BUSY_WAIT_S * 1000)}")
        try:
            return fn()
        finally:
            self.raw.execute("PRAGMA busy_timeout=0")

    # -- PEP 249 --------------------------------------------------------------------------------
    def cursor(self) -> SqliteCursor:
        return SqliteCursor(self)

    def begin(self) -> None:
        if self._role == "write":
            # Takes the write lock at once (no upgrade from a read lock to fail later). Inline: it
            # only takes a file lock; if another process holds it, wait for it on the thread.
            try:
                self.raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                self.off_loop(lambda: self._waiting(lambda: self.raw.execute("BEGIN IMMEDIATE")))
        else:
            self._changes = self.raw.total_changes
            self.raw.execute("BEGIN")

    def commit(self) -> None:
        if self._role != "write" and self.raw.total_changes == self._changes:
            self.raw.commit()  # ends a read transaction: nothing to write, no fsync
            return
        self.off_loop(self._commit_on_thread)

    def _commit_on_thread(self) -> None:
        if self.commit_hook is not None:
            self.commit_hook()
        self._waiting(self.raw.commit)

    def rollback(self) -> None:
        self.raw.rollback()  # discards WAL frames not yet committed: no fsync, quick

    def close(self) -> None:
        try:
            self.off_loop(self.raw.close)  # the last connection to close checkpoints the WAL
        finally:
            self._thread.stop()

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self.raw.isolation_level = value

    def create_function(self, *args: Any, **kw: Any) -> None:
        self.raw.create_function(*args, **kw)


def _hop(thread: ConnectionThread, fn: Callable[[], Any]) -> Any:
    if not in_greenlet():  # outside SQLAlchemy's async bridge (e.g. a pool cleanup at exit)
        return fn()
    return await_(to_the_end(thread.submit(fn)))


class _DBAPI:
    """sqlite3's module attributes (errors, version, paramstyle), with our connect()."""

    def __getattr__(self, name: str) -> Any:
        return getattr(sqlite3, name)

    def connect(self, database: str, *, role: str = "read", pace: Pace | None = None, **kw: Any) -> Any:
        thread = ConnectionThread(f"sqlite-{role}")
        kw.pop("check_same_thread", None)

        def open_connection() -> sqlite3.Connection:
            raw: sqlite3.Connection = sqlite3.connect(
                database, **kw, timeout=BUSY_WAIT_S, isolation_level=None, check_same_thread=False
            )
            try:
                _configure(raw)
                raw.execute("PRAGMA busy_timeout=0")  # see BUSY_WAIT_S
            except BaseException:
                raw.close()
                raise
            return raw

        return SqliteConnection(_hop(thread, open_connection), thread, role, pace or Pace())


def _configure(raw: sqlite3.Connection) -> None:
    # WAL: readers never wait for the writer, and a commit appends to one file.
    _patiently(raw, "PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA foreign_keys=ON")
    # FULL: a commit is on disk before write() returns (webhooks are acknowledged after it).
    raw.execute("PRAGMA synchronous=FULL")


def _patiently(raw: sqlite3.Connection, sql: str) -> None:
    """On the connection's thread: `sql`, waiting up to BUSY_WAIT_S for a lock.

    Regression (test_scheduler, two pools opening one file at once): a connection opened while
    another one of the file was starting up or checkpointing got "database is locked" from
    `PRAGMA journal_mode=WAL` at once, without SQLite's busy handler waiting for it.
    """
    deadline = time.monotonic() + BUSY_WAIT_S
    while True:
        try:
            raw.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


class SQLiteDialect_counselbot(SQLiteDialect_pysqlite):
    driver = "counselbot"
    is_async = True
    supports_statement_cache = True
    supports_server_side_cursors = False

    @classmethod
    def import_dbapi(cls) -> Any:
        return _DBAPI()

    @classmethod
    def get_pool_class(cls, url: Any) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool

    def do_begin(self, dbapi_connection: Any) -> None:
        # SQLAlchemy leaves BEGIN to the driver; ours is explicit (IMMEDIATE for the writer).
        dbapi_connection.begin()

    def get_driver_connection(self, connection: Any) -> Any:
        return connection.raw

    # The group commit's per-unit SAVEPOINT and RELEASE (storage.sqlite_writer): run on the DBAPI
    # connection as they are, instead of being compiled and executed as statements every time.
    def do_savepoint(self, connection: Any, name: str) -> None:
        self._bookkeeping(connection, f"SAVEPOINT {self.identifier_preparer.quote(name)}")

    def do_release_savepoint(self, connection: Any, name: str) -> None:
        self._bookkeeping(connection, f"RELEASE SAVEPOINT {self.identifier_preparer.quote(name)}")

    def do_rollback_to_savepoint(self, connection: Any, name: str) -> None:
        self._bookkeeping(connection, f"ROLLBACK TO SAVEPOINT {self.identifier_preparer.quote(name)}")

    def _bookkeeping(self, connection: Any, sql: str) -> None:
        for listen in statements.listeners:
            listen(sql)
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc
        finally:
            cursor.close()


registry.register("sqlite.counselbot", "storage.sqlite_driver", "SQLiteDialect_counselbot")
