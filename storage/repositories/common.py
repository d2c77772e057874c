from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage import statements

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


async def core_rows(
    session: AsyncSession, statement: Any, params: dict[str, Any] | Sequence[dict[str, Any]]
) -> list[Any]:
    """Run a Core statement on the unit's connection, without the ORM's execute path; its rows
    (a list of parameter sets: an executemany, no rows).

    One hop into SQLAlchemy's sync layer (run_sync), the rows fetched there: cheaper than
    Session.execute, and correct for drivers that finish fast statements without awaiting.
    """
    return await session.run_sync(_rows, statement, params)


def _rows(
    sync_session: Session, statement: Any, params: dict[str, Any] | Sequence[dict[str, Any]]
) -> list[Any]:
    result = sync_session.connection().execute(statement, params)
    return list(result.all()) if result.returns_rows else []


# -- statements run on the DBAPI cursor ----------------------------------------------------------
# SQLAlchemy's execution path (cache key, execution context, parameter processing, result object)
# costs tens of microseconds per statement, several times what SQLite takes to run a hot-path
# INSERT. A statement built once (`built`) is compiled once per dialect into its SQL text, the
# order of its parameters and their types' own bind processors, and then runs on the unit's DBAPI
# connection (our SQLite driver, or SQLAlchemy's asyncpg adapter), in the unit's transaction.
# Only for statements after the unit's first one: a connection that the database dropped is met by
# the first, whose error SQLAlchemy sees (it discards the pool's stale connections, bot.engine runs
# the unit again). Statement listeners (bench/engine.py counts statements) are told here.
direct_listeners = statements.listeners


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...]
    defaults: tuple[Any, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def args(self, params: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, default, process in zip(self.names, self.defaults, self.processors, strict=True):
            value = params.get(name, default)
            out.append(process(value) if process is not None and value is not None else value)
        return tuple(out)


_PLANS: dict[tuple[str, int], tuple[Any, _Plan]] = {}
_ROW_TYPES: dict[tuple[str, ...], Any] = {}


def _plan_for(sync_session: Session, statement: Any) -> _Plan:
    dialect = sync_session.get_bind().dialect
    key = (dialect.name, id(statement))
    found = _PLANS.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    binds = compiled.binds
    if any(binds[n].expanding for n in names):
        raise ValueError("an expanding parameter cannot run on the cursor directly")
    plan = _Plan(
        compiled.string,
        names,
        tuple(None if binds[n].callable else binds[n].value for n in names),
        tuple(binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names),
    )
    _PLANS[key] = (statement, plan)  # the statement kept alive, so its id is never reused
    return plan


_DBAPI = "counselbot.dbapi_connection"


def _dbapi_connection(sync_session: Session) -> Any:
    """The DBAPI connection of the session's transaction, found once per transaction: a unit runs
    several statements on it, and `Session.connection()` walks the transaction's state every time."""
    transaction = sync_session.get_transaction()
    cached = sync_session.info.get(_DBAPI)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    connection = sync_session.connection().connection.dbapi_connection
    sync_session.info[_DBAPI] = (sync_session.get_transaction(), connection)
    return connection


def _cursor_rows(sync_session: Session, statement: Any, many: Sequence[dict[str, Any]]) -> list[Any]:
    plan = _plan_for(sync_session, statement)
    cursor = _dbapi_connection(sync_session).cursor()
    for listen in direct_listeners:
        listen(plan.sql)
    dbapi_error = sync_session.get_bind().dialect.loaded_dbapi.Error
    try:
        try:
            if len(many) == 1:
                cursor.execute(plan.sql, plan.args(many[0]))
            else:
                cursor.executemany(plan.sql, [plan.args(p) for p in many])
        except dbapi_error as exc:
            # The error SQLAlchemy would have raised (IntegrityError, OperationalError, ...): callers
            # catch those whichever way the statement ran.
            raise DBAPIError.instance(plan.sql, None, exc, dbapi_error) from exc
        if cursor.description is None:
            return []
        fields = tuple(d[0] for d in cursor.description)
        row_type = _ROW_TYPES.get(fields)
        if row_type is None:
            row_type = _ROW_TYPES[fields] = namedtuple("Row", fields)
        return [row_type(*r) for r in cursor.fetchall()]
    finally:
        cursor.close()


async def first_rows(
    session: AsyncSession, statement: Any, params: dict[str, Any] | Sequence[dict[str, Any]]
) -> list[Any]:
    """A unit's first statement: on PostgreSQL through SQLAlchemy (`core_rows`), which meets a
    connection the server dropped; on SQLite, whose connection nothing can drop, on the cursor."""
    if is_postgres(session):
        return await core_rows(session, statement, params)
    many = [params] if isinstance(params, dict) else list(params)
    return await session.run_sync(_cursor_rows, statement, many)


async def cursor_rows(session: AsyncSession, statement: Any, params: dict[str, Any]) -> list[Any]:
    """`core_rows` on the DBAPI cursor (see above): for a unit's statements after its first."""
    return await session.run_sync(_cursor_rows, statement, [params])


def cursor_many(sync_session: Session, statement: Any, rows: Sequence[dict[str, Any]]) -> None:
    """An executemany of `statement` on the DBAPI cursor, from inside the sync session."""
    _cursor_rows(sync_session, statement, rows)


def cursor_select(sync_session: Session, statement: Any, params: dict[str, Any]) -> list[Any]:
    """`cursor_rows` from inside the sync session: the rows as the driver returns their values."""
    return _cursor_rows(sync_session, statement, [params])


def is_postgres(session: AsyncSession) -> bool:
    return bool(session.get_bind().dialect.name == "postgresql")


def like_pattern(q: str) -> str:
    """A case-insensitive LIKE pattern for `q` anywhere (escape with "\\")."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"
