"""Database access: one `Database` per process, units of work that are the only way to write.

SQLite: WAL, one writer per process that commits units of work in groups off the event loop
(storage/sqlite_writer.py: each unit in a SAVEPOINT, one COMMIT and one fsync per batch, each caller
returning once its own unit is durable), and reads on separate connections that never wait for it
(storage/sqlite_driver.py: fast statements inline, slow ones, BEGIN IMMEDIATE and COMMIT on a thread).
See docs/adr/0002-sqlite-writer.md. PostgreSQL: plain transactions; callers lock rows FOR UPDATE
where ordering matters.

A new SQLite database file is created mode 0600, and the directories migrations make for it 0700
(a running process does not make them: a missing directory is a wrong path, and /readyz says so),
whatever the umask: SQLite would create it 0644 under the usual umask, and its -wal and -shm files take the
database file's mode (SQLite sets it explicitly), so all three stay the owner's.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from storage import jsoncodec
from storage.sqlite_driver import Pace
from storage.sqlite_writer import SqliteWriter

_SESSION_OPTIONS: dict[str, Any] = {"expire_on_commit": False, "autoflush": False}
# JSON columns through orjson (storage.jsoncodec), on every engine alike.
_JSON: dict[str, Any] = {"json_serializer": jsoncodec.dumps, "json_deserializer": jsoncodec.loads}
SQLITE_READERS = 10
PG_POOL_SIZE = 36


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int | None = None) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self.is_postgres = self.dialect == "postgresql"
        self.writer: SqliteWriter | None = None
        self._write_engine: AsyncEngine | None = None
        if self.is_sqlite:
            if parsed.database in (None, "", ":memory:"):
                raise ValueError("an in-memory SQLite database cannot be shared; give a file path")
            prepare_sqlite_file(parsed.database, make_dirs=False)
            ours = parsed.set(drivername="sqlite+counselbot")
            pace = Pace()
            # Readers: a pool of connections beginning DEFERRED (in WAL they never wait for the writer).
            readers = pool_size or SQLITE_READERS
            self.engine: AsyncEngine = create_async_engine(
                ours, echo=echo, pool_size=readers, max_overflow=readers,
                connect_args={"role": "read", "pace": pace}, **_JSON,
            )  # fmt: skip
            self._write_engine = create_async_engine(
                ours, echo=echo, pool_size=1, max_overflow=0,
                connect_args={"role": "write", "pace": pace}, **_JSON,
            )  # fmt: skip
            self.writer = SqliteWriter(self._write_engine, _SESSION_OPTIONS)
        else:
            # No pool_pre_ping: it cost a round trip per unit of work. After a restart of PostgreSQL
            # the first use of a dropped connection fails, SQLAlchemy then discards every connection
            # older than it, and the engine runs an event's unit again once (bot.engine).
            #
            # Sized to the units that run at once under load (webhooks: ops.backpressure.LIMIT, plus
            # delivery and the console): a connection beyond the pool is closed when it is returned,
            # and at 10 + 10 overflow that happened many times a second under load, each time a new
            # PostgreSQL backend (a fork, authentication, catalog caches) and asyncpg's type
            # introspection on its first array parameter: more server CPU than the statements.
            size = pool_size or PG_POOL_SIZE
            self.engine = create_async_engine(url, echo=echo, pool_size=size, max_overflow=size // 2, **_JSON)
        # On SQLite these are reader sessions: write through write() (a stray write still commits
        # off the loop, but outside the group commit).
        self.sessions = async_sessionmaker(self.engine, **_SESSION_OPTIONS)
        self._read_sessions = self.sessions

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Every engine this database uses (SQLite: readers and the writer), for instrumentation."""
        return (self.engine,) if self._write_engine is None else (self.engine, self._write_engine)

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: commits on success, rolls back on any exception. Returns only once
        the unit is committed (on SQLite, durable: synchronous=FULL)."""
        if self.writer is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self.writer.unit() as session:
            yield session

    @contextlib.asynccontextmanager
    async def single(self) -> AsyncIterator[AsyncSession]:
        """`write()` for a unit of ONE statement (a batch of "sent" marks): on PostgreSQL in
        autocommit, so the statement commits by itself and its BEGIN and COMMIT are not round trips
        of their own (an executemany is still one transaction: asyncpg sends it with one Sync)."""
        if self.writer is not None:
            async with self.write() as session:
                yield session
            return
        async with self.engine.connect() as connection:
            auto = await connection.execution_options(isolation_level="AUTOCOMMIT")
            async with AsyncSession(bind=auto, **_SESSION_OPTIONS) as session:
                yield session
                await session.commit()

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only view; on SQLite it never waits for the writer (nothing it writes is committed
        by the group commit)."""
        async with self._read_sessions() as session:
            yield session

    async def dispose(self) -> None:
        if self.writer is not None:
            await self.writer.close()
        if self._write_engine is not None:
            await self._write_engine.dispose()
        await self.engine.dispose()


def null_pool_engine(url: str) -> AsyncEngine:
    """A throwaway engine for one-off commands (migrations, admin CLI)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        prepare_sqlite_file(parsed.database, make_dirs=True)
    return create_async_engine(url, poolclass=NullPool, **_JSON)


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
