"""Fresh migrated databases for tests: SQLite files copied from a migrated template; PostgreSQL
databases created FROM a migrated template database (fast, and isolated per test)."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import uuid
from pathlib import Path

import asyncpg

from storage.migrate import upgrade

PG_ADMIN = os.environ.get("COUNSELBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_counter = itertools.count()
_prefix = f"cbt_{os.getpid()}_{uuid.uuid4().hex[:6]}"


class SqliteFactory:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.template = base / "template.db"
        upgrade(f"sqlite+aiosqlite:///{self.template}")

    def new(self) -> str:
        path = self.base / f"t{next(_counter)}.db"
        shutil.copy(self.template, path)
        return f"sqlite+aiosqlite:///{path}"


class PostgresFactory:
    def __init__(self) -> None:
        self.template = f"{_prefix}_tpl"
        self.created: list[str] = []
        asyncio.run(self._admin(f'CREATE DATABASE "{self.template}"'))
        upgrade(self._url(self.template))

    def _url(self, name: str) -> str:
        host = PG_ADMIN.rsplit("/", 1)[0].removeprefix("postgresql://")
        return f"postgresql+asyncpg://{host}/{name}"

    @staticmethod
    async def _admin(*sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            for statement in sql:
                await conn.execute(statement)
        finally:
            await conn.close()

    def new(self) -> str:
        name = f"{_prefix}_{next(_counter)}"
        asyncio.run(self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self._url(name)

    def empty(self) -> str:
        """A database with no tables at all (what `counselbot db upgrade` meets on a new server)."""
        name = f"{_prefix}_{next(_counter)}"
        asyncio.run(self._admin(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self._url(name)

    def cleanup(self) -> None:
        statements = [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in [*self.created, self.template]]
        asyncio.run(self._admin(*statements))


def postgres_available() -> str | None:
    """None when reachable, else the reason."""

    async def probe() -> None:
        conn = await asyncpg.connect(PG_ADMIN, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN}: {type(exc).__name__}"
    return None
