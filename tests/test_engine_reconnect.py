"""PostgreSQL restarted under a running process: pooled connections are not pinged before each unit
of work (a round trip saved per event), so the first event after the restart meets a dropped
connection. It must still be stored and answered, once, with no error to the platform."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import func, select

from bot.bus import Bus, pg_dsn_from_url
from bot.config import Settings
from bot.engine import Engine
from storage.db import Database
from storage.models import InboxEvent, OutboxMessage
from tests.support.collecting import event

pytestmark = pytest.mark.postgres


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[Database]:
    database = Database(pg_url, pool_size=2)
    yield database
    await database.dispose()


async def _terminate_our_backends(pg_url: str) -> int:
    dsn = pg_dsn_from_url(pg_url)
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return len(rows)
    finally:
        await conn.close()


async def test_an_event_after_the_database_dropped_every_pooled_connection_is_handled_once(
    db: Database, pg_url: str, settings_for: object
) -> None:
    settings = settings_for(pg_url)  # type: ignore[operator]
    assert isinstance(settings, Settings)
    engine = Engine(db, settings, Bus())
    assert (await engine.handle(event("dora", "hello", event_id="before"))).status == "handled"
    assert await _terminate_our_backends(pg_url) >= 1  # the pool's connection, as a restart would
    result = await engine.handle(event("dora", "I want to change my booking", event_id="after"))
    assert result.status == "handled"
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(InboxEvent)) == 2
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 2
