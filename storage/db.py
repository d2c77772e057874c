"""Database access: one `Database` per process, units of work that are the only way to write.

SQLite: WAL, busy_timeout, write transactions begun IMMEDIATE (so two writers queue instead of
failing on upgrade from a read lock), and an in-process write lock so this process's writers queue
on an asyncio lock instead of sleeping in busy_timeout. PostgreSQL: plain transactions; callers lock
rows FOR UPDATE where ordering matters.

A new SQLite database file is created mode 0600, and the directories migrations make for it 0700
(a running process does not make them: a missing directory is a wrong path, and /readyz says so),
whatever the umask: SQLite would create it 0644 under the usual umask, and its -wal and -shm files take the
database file's mode (SQLite sets it explicitly), so all three stay the owner's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from storage.inline_sqlite import creator


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self.is_postgres = self.dialect == "postgresql"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if parsed.database in (None, "", ":memory:"):
                raise ValueError("an in-memory SQLite database cannot be shared; give a file path")
            prepare_sqlite_file(parsed.database, make_dirs=False)
            kwargs["async_creator"] = creator(parsed.database)
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
            kwargs["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # Reads begin DEFERRED on SQLite: in WAL mode they never wait for a writer.
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(counselbot_read_only=True), expire_on_commit=False, autoflush=False
        )
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: commits on success, rolls back on any exception."""
        lock = self._write_lock
        if lock is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with lock:
            session = await self._begin_sqlite()
            try:
                yield session
            except BaseException:
                await session.rollback()
                await session.close()
                raise
            try:
                await self._retry_busy(session.commit)
            finally:
                await session.close()

    async def _begin_sqlite(self) -> AsyncSession:
        """BEGIN IMMEDIATE, waiting (without blocking the loop) while another process writes."""
        session = self.sessions()
        try:
            await self._retry_busy(lambda: session.connection())
        except BaseException:
            await session.close()
            raise
        return session

    async def _retry_busy(self, step: Any, wait_s: float = 30.0) -> Any:
        delay, waited = 0.005, 0.0
        while True:
            try:
                return await step()
            except OperationalError as exc:
                if "locked" not in str(exc) or waited >= wait_s:
                    raise
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 0.2)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only view; on SQLite it never takes the write lock (nothing it writes is committed)."""
        async with self._read_sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Short: the inline driver must not block the loop; Database.write retries instead.
        cursor.execute("PRAGMA busy_timeout=50")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit is on disk before the webhook is acknowledged.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get("counselbot_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def null_pool_engine(url: str) -> AsyncEngine:
    """A throwaway engine for one-off commands (migrations, admin CLI)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        prepare_sqlite_file(parsed.database, make_dirs=True)
    return create_async_engine(url, poolclass=NullPool)


def prepare_sqlite_file(path: str, *, make_dirs: bool) -> None:
    """Creates a missing database file 0600 (and, if asked, its missing directories 0700) before
    SQLite opens it. An existing file keeps the mode it has: that is the operator's choice.
    """
    if path == ":memory:" or path.startswith("file:"):
        return  # nothing on disk, or a URI whose options are SQLite's business
    target = Path(path)
    if make_dirs:
        _make_private_dirs(target.parent)
    elif not target.parent.is_dir():
        return  # SQLite fails to open it, as it should
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)  # os.open's mode passes through the umask; 0600 whatever it is
    finally:
        os.close(fd)


def _make_private_dirs(directory: Path) -> None:
    missing: list[Path] = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs
            os.mkdir(d, 0o700)
            os.chmod(d, 0o700)
