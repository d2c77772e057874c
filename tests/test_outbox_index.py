"""The undelivered rows of a conversation are found through ix_outbox_undelivered, whatever the
conversation's history: regression for an answer's INSERT that walked every outbox row its
conversation ever had (a long-lived customer's turn cost ~1 ms on SQLite for this alone)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Table, exists, select, text
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Database
from storage.models import OutboxMessage
from storage.repositories import outbox

migration = importlib.import_module("storage.migrations.versions.0008a_outbox_undelivered_index")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def test_the_migration_and_the_queries_name_the_same_statuses() -> None:
    table: Table = OutboxMessage.__table__  # type: ignore[assignment]
    rendered = str(outbox.undelivered(table.c.status).compile(dialect=sqlite.dialect()))
    assert rendered == "outbox_messages." + migration.UNDELIVERED
    [index] = [i for i in table.indexes if i.name == "ix_outbox_undelivered"]
    assert str(index.dialect_options["sqlite"]["where"]) == migration.UNDELIVERED


def _blocked_query() -> object:
    # The question every answer's INSERT asks (outbox.reply_draft), as it renders it.
    return select(
        exists().where(OutboxMessage.conversation_id == 1, outbox.undelivered(OutboxMessage.status))
    )


async def test_an_answer_asks_about_undelivered_rows_through_the_partial_index(db: Database) -> None:
    dialect = postgresql.dialect() if db.is_postgres else sqlite.dialect()  # type: ignore[no-untyped-call]
    sql = str(_blocked_query().compile(dialect=dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]
    async with db.read() as s:
        if db.is_postgres:
            # An empty table would be read whole whatever the indexes: ask the planner to use one.
            await s.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(r[0] for r in await s.execute(text("EXPLAIN " + sql)))
        else:
            plan = "\n".join(str(r[-1]) for r in await s.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_outbox_undelivered" in plan, plan


async def test_the_reply_insert_itself_uses_the_partial_index_on_sqlite(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    try:
        statement = outbox._enqueue_reply(True, False, 4)
        compiled = statement.compile(dialect=sqlite.dialect())
        args = tuple(None for _ in compiled.positiontup or ())
        async with database.read() as s:
            rows = await s.run_sync(
                lambda sync: (
                    sync.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + compiled.string, args).all()
                )
            )
        plan = "\n".join(str(r[-1]) for r in rows)
    finally:
        await database.dispose()
    assert "ix_outbox_undelivered" in plan, plan
