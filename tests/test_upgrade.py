"""Upgrading a database that holds data loses none of it, on SQLite and PostgreSQL.

The steps are docs/deployment.md's "Upgrading": the schema of the release before (every migration but
the newest) with rows in every table, then `counselbot db upgrade`, then a server on it answers
/readyz and takes a new conversation. Every row written before is read back unchanged, except what a
migration says it rewrites (0002: phone numbers to E.164).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from storage.migrate import alembic_config
from tests.support.databases import PostgresFactory
from tests.support.processes import serve_process
from tests.support.wait import eventually

ROOT = Path(__file__).resolve().parents[1]
ROWS = 3
BASE_TIME = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
# customer row -> (phone as kept by the release before, its time zone, what 0002 makes of it)
PHONES = (
    ("090-1234-5678", "Asia/Tokyo", "+819012345678"),
    ("０２－２３４５－６７８９", "Asia/Taipei", "+886223456789"),
    ("not a number", "Asia/Seoul", "not a number"),
)


def previous_revisions(url: str) -> list[str]:
    """The schema one release back: what every head's migration starts from."""
    script = ScriptDirectory.from_config(alembic_config(url))
    found: list[str] = []
    for head in script.get_heads():
        down = script.get_revision(head).down_revision  # type: ignore[union-attr]
        found.extend([down] if isinstance(down, str) else list(down or ()))
    return found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    factory: PostgresFactory = request.getfixturevalue("pg_factory")
    return factory.empty()


def _value(column: sa.Column[Any], table: str, i: int, parents: dict[str, list[Any]]) -> Any:
    """A value of the column's type, distinct per row (unique keys hold), text with non-ASCII in it."""
    for fk in column.foreign_keys:
        ids = parents.get(fk.column.table.name)
        if ids:
            return ids[i % len(ids)]
        return None
    kind = column.type
    if isinstance(kind, sa.JSON):
        return {"row": i, "メモ": f"{table} {i}", "list": [1, 2]}
    if isinstance(kind, sa.Boolean):
        return i % 2 == 0
    if isinstance(kind, sa.Integer):
        return i + 1
    if isinstance(kind, sa.Float | sa.Numeric):
        return i + 0.5
    if isinstance(kind, sa.LargeBinary):
        return f"{table} {i}".encode()
    if isinstance(kind, sa.DateTime):
        return BASE_TIME + dt.timedelta(minutes=i)
    if isinstance(kind, sa.Date):
        return dt.date(1990, 4, 1) + dt.timedelta(days=i)
    text = f"{column.name}-{i}-データ"
    length = getattr(kind, "length", None)
    return text[:length] if length else text


async def _fill(conn: AsyncConnection) -> dict[str, list[dict[str, Any]]]:
    """Rows in every table, parents first; returns what was written, by table."""
    meta = sa.MetaData()
    await conn.run_sync(meta.reflect)
    written: dict[str, list[dict[str, Any]]] = {}
    ids: dict[str, list[Any]] = {}
    for table in meta.sorted_tables:
        # The search index is a virtual table (and its shadow tables) that triggers keep in step with
        # the transcript: written through the transcript, never directly.
        if table.name == "alembic_version" or table.name.startswith("transcript_fts"):
            continue
        pk = next(iter(table.primary_key.columns))
        # A key that is also a foreign key (one row per parent) is given, not generated.
        autoincrement = (
            len(table.primary_key.columns) == 1 and isinstance(pk.type, sa.Integer) and not pk.foreign_keys
        )
        for i in range(ROWS):
            row = {
                c.name: _value(c, table.name, i, ids)
                for c in table.columns
                if not (c.primary_key and autoincrement)
            }
            if table.name == "customers":
                row["phone"], row["timezone"], _ = PHONES[i]
            new_id = (await conn.execute(table.insert().values(row).returning(pk))).scalar_one()
            ids.setdefault(table.name, []).append(new_id)
            written.setdefault(table.name, []).append({**row, pk.name: new_id})
    return written


async def _read(conn: AsyncConnection, tables: list[str]) -> dict[str, list[dict[str, Any]]]:
    meta = sa.MetaData()
    await conn.run_sync(lambda c: meta.reflect(c, only=tables))
    out: dict[str, list[dict[str, Any]]] = {}
    for name in tables:
        table = meta.tables[name]
        pk = next(iter(table.primary_key.columns))
        rows = (await conn.execute(sa.select(table).order_by(pk))).mappings().all()
        out[name] = [dict(r) for r in rows]
    return out


def _same(before: dict[str, Any], after: dict[str, Any], rewritten: Callable[[str, Any], Any]) -> list[str]:
    problems = []
    for column, value in before.items():
        expected = rewritten(column, value)
        got = after.get(column)
        if isinstance(expected, dt.datetime) and isinstance(got, dt.datetime):
            # SQLite hands timezone-aware values back naive (UTC): compare the instant.
            got = got if got.tzinfo else got.replace(tzinfo=dt.UTC)
        if got != expected:
            problems.append(f"{column}: {expected!r} became {got!r}")
    return problems


async def test_upgrading_a_database_with_data_keeps_every_row(empty_url: str, tmp_path: Path) -> None:
    previous = previous_revisions(empty_url)
    assert previous, "only one migration: nothing to upgrade from"
    for revision in previous:
        await asyncio.to_thread(command.upgrade, alembic_config(empty_url), revision)
    engine = create_async_engine(empty_url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            written = await _fill(conn)

        # docs/deployment.md, Upgrading, step 4 (the new release's CLI; serve would do it on SQLite).
        upgrade = [sys.executable, "-m", "bot.cli", "db", "upgrade"]
        env = {"COUNSELBOT_DATABASE_URL": empty_url, "PATH": "/usr/bin:/bin"}
        done = await asyncio.to_thread(
            subprocess.run, upgrade, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr

        async with engine.connect() as conn:
            after = await _read(conn, list(written))
    finally:
        await engine.dispose()

    # 0002 rewrites phone numbers only when this upgrade is what applies it (the newest may be later).
    phones = {before: now if "0001" in previous else before for before, _, now in PHONES}
    for table, rows in written.items():
        assert len(after[table]) == len(rows), table
        for before_row, after_row in zip(rows, after[table], strict=True):

            def rewritten(column: str, value: Any, table: str = table) -> Any:
                return phones.get(value, value) if (table, column) == ("customers", "phone") else value

            assert not _same(before_row, after_row, rewritten), (
                table,
                _same(before_row, after_row, rewritten),
            )

    await _a_server_runs_on_it(empty_url, tmp_path)


async def _a_server_runs_on_it(url: str, workdir: Path) -> None:
    """Step 5: an instance on the upgraded database is ready and takes a new conversation."""
    with serve_process(url, workdir, {"COUNSELBOT_SCHEDULER_ENABLED": "false"}) as (base, _):
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            assert (await http.get("/readyz")).status_code == 200
            sent = await http.post("/api/chat/messages", json={"id": "after-upgrade-1", "text": "hello"})
            assert sent.json() == {"status": "handled"}

            async def answered() -> bool:
                history = (await http.get("/api/chat/history")).json()["messages"]
                return any(m["author"] != "customer" for m in history)

            await eventually(answered)
