"""SQLite through SQLAlchemy's aiosqlite dialect, without aiosqlite's thread.

aiosqlite sends every call (cursor, execute, fetch, close) to a worker thread and back: about forty
thread round trips per event, which capped the engine at ~150 events/s. SQLite calls on a local file
take microseconds, and this process serializes its writers on an asyncio lock anyway, so running
them inline on the event loop costs less than the hand-off. The one call that can wait — a lock held
by *another* process — gets a short busy_timeout here, and `Database.write` retries it with an
asyncio sleep, so the loop is never blocked for long.

The objects below offer the slice of aiosqlite's async API that SQLAlchemy's adapter uses.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

# How long one statement may block the loop waiting for another process's lock before it gives up
# (and Database.write retries without blocking).
INLINE_BUSY_TIMEOUT_S = 0.05


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    def __await__(self) -> Any:
        async def _self() -> InlineCursor:
            return self

        return _self().__await__()

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(sql, seq)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _InlineQueue:
    """aiosqlite's request queue, as SQLAlchemy uses it to set isolation_level: run at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # pragma: no cover - handed back to the awaiting caller
            future.set_exception(exc)


class InlineConnection:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn
        self._tx = _InlineQueue()

    def cursor(self) -> InlineCursor:
        assert self._connection is not None
        return InlineCursor(self._connection.cursor())

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)


def creator(path: str) -> Callable[[], Any]:
    async def connect() -> InlineConnection:
        conn = sqlite3.connect(
            path, timeout=INLINE_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        return InlineConnection(conn)

    return connect
