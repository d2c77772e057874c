from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

S = TypeVar("S")
_BUILT: dict[tuple[str, str], Any] = {}


def insert_for(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT (for ON CONFLICT DO NOTHING on both SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_of(dialect: str, table: Any) -> Any:
    """`insert_for` by dialect name, for statements built once (see `built`)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def built(session: AsyncSession, name: str, build: Callable[[str], S]) -> S:
    """A hot-path statement built once per dialect, with bind parameters for its values.

    Building a statement (coercions, cache key parts) costs more CPU than executing the cached
    compiled form; the hot path builds none per event. `build` gets the dialect name.
    """
    dialect = session.get_bind().dialect.name
    found = _BUILT.get((dialect, name))
    if found is None:
        found = _BUILT[(dialect, name)] = build(dialect)
    return found


async def core_rows(session: AsyncSession, statement: Any, params: dict[str, Any]) -> list[Any]:
    """Run a Core statement on the unit's connection, without the ORM's execute path; its rows.

    One hop into SQLAlchemy's sync layer (run_sync), the rows fetched there: cheaper than
    Session.execute, and correct for drivers that finish fast statements without awaiting.
    """
    return await session.run_sync(_rows, statement, params)


def _rows(sync_session: Session, statement: Any, params: dict[str, Any]) -> list[Any]:
    result = sync_session.connection().execute(statement, params)
    return list(result.all()) if result.returns_rows else []


def is_postgres(session: AsyncSession) -> bool:
    return bool(session.get_bind().dialect.name == "postgresql")


def like_pattern(q: str) -> str:
    """A case-insensitive LIKE pattern for `q` anywhere (escape with "\\")."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"
