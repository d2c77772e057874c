"""An event's arrival (storage.repositories.arrivals): stored once, its identity and conversation
loaded as the ORM loads them and locked; on PostgreSQL one statement does all of it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, inspect, select

from storage.db import Database
from storage.models import ChannelIdentity, Conversation, InboxEvent
from storage.repositories import arrivals, conversations

NOW = dt.datetime(2026, 12, 2, 8, 0, 0, 654321, tzinfo=dt.UTC)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


async def arrive(s: object, user: str, event_id: str) -> arrivals.Arrival | None:
    return await arrivals.arrive(
        s,  # type: ignore[arg-type]
        channel="line",
        user_id=user,
        event_id=event_id,
        kind="text",
        received_at=NOW,
        read_token="rt-" + event_id,
    )


async def counts(db: Database) -> tuple[int, int, int]:
    async with db.read() as s:
        return (
            (await s.execute(select(func.count()).select_from(InboxEvent))).scalar_one(),
            (await s.execute(select(func.count()).select_from(ChannelIdentity))).scalar_one(),
            (await s.execute(select(func.count()).select_from(Conversation))).scalar_one(),
        )


async def test_a_new_customer_arrives_with_an_identity_and_a_conversation_made_for_them(db: Database) -> None:
    async with db.write() as s:
        arrival = await arrive(s, "Unew", "e1")
        assert arrival is not None
        assert arrival.identity.user_id == "Unew" and arrival.conversation.identity_id == arrival.identity.id
        assert arrival.conversation.mode == "bot" and arrival.conversation.version == 0
    assert await counts(db) == (1, 1, 1)
    async with db.read() as s:
        stored = (await s.execute(select(InboxEvent))).scalar_one()
        assert (stored.id, stored.event_id, stored.read_token) == (arrival.inbox_id, "e1", "rt-e1")


async def test_a_known_customer_arrives_holding_what_the_orm_loads(db: Database) -> None:
    async with db.write() as s:
        first = await arrive(s, "U1", "e1")
        assert first is not None
        first.identity.display_name, first.identity.locale_hint = "Mei", "zh-TW"
        first.conversation.stack = {"frames": [{"flow": "menu", "step": "main", "data": {}}], "token": "1"}
        first.conversation.locale, first.conversation.last_event_at = "zh-TW", NOW
    async with db.read() as s:
        conv = (await s.execute(select(Conversation))).scalar_one()
        ident = (await s.execute(select(ChannelIdentity))).scalar_one()
        expected_conv = {c.key: getattr(conv, c.key) for c in Conversation.__table__.columns}
        expected_ident = {c.key: getattr(ident, c.key) for c in ChannelIdentity.__table__.columns}
    async with db.write() as s:
        again = await arrive(s, "U1", "e2")
        assert again is not None and again.inbox_id != first.inbox_id
        assert {
            c.key: getattr(again.conversation, c.key) for c in Conversation.__table__.columns
        } == expected_conv
        assert {
            c.key: getattr(again.identity, c.key) for c in ChannelIdentity.__table__.columns
        } == expected_ident
        assert (
            again.conversation.last_event_at is not None
            and again.conversation.last_event_at.tzinfo is not None
        )
        assert inspect(again.conversation).persistent and not s.dirty and not s.new
    assert await counts(db) == (2, 1, 1)


async def test_a_redelivered_event_arrives_as_a_duplicate_and_changes_nothing(db: Database) -> None:
    async with db.write() as s:
        assert await arrive(s, "U2", "e1") is not None
    for _ in range(2):
        async with db.write() as s:
            assert await arrive(s, "U2", "e1") is None
    assert await counts(db) == (1, 1, 1)
    async with db.read() as s:  # the duplicate's unit committed its lock away, nothing else
        assert (await s.execute(select(Conversation.version))).scalar_one() == 0


async def test_a_duplicate_of_a_new_customers_event_in_flight_waits_for_it(db: Database) -> None:
    # Two deliveries of one event at once (a redelivery while the first is still being handled):
    # the second meets the first's inbox row once that unit commits, and is a duplicate.
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with db.write() as s:
            assert await arrive(s, "U3", "e1") is not None
            first_in.set()
            await release.wait()

    async def second() -> arrivals.Arrival | None:
        await first_in.wait()
        async with db.write() as s:
            return await arrive(s, "U3", "e1")

    one = asyncio.create_task(first())
    two = asyncio.create_task(second())
    await first_in.wait()
    await asyncio.sleep(0.2)
    release.set()
    await one
    assert await two is None
    assert await counts(db) == (1, 1, 1)


@pytest.mark.postgres
async def test_an_arrival_holds_its_conversation_until_the_unit_commits(pg_url: str) -> None:
    # Two processes' events of one customer: the second's arrival waits for the first's commit and
    # then sees what it wrote (the conversation is FOR UPDATE in the arrival's single statement).
    db, other = Database(pg_url), Database(pg_url)
    try:
        async with db.write() as s:
            assert await arrive(s, "U4", "e0") is not None
        holding = asyncio.Event()
        release = asyncio.Event()

        async def first() -> None:
            async with db.write() as s:
                arrival = await arrive(s, "U4", "e1")
                assert arrival is not None
                holding.set()
                await release.wait()
                arrival.conversation.version = 7
                await conversations.save_turn(s, arrival.conversation)

        async def second() -> int:
            await holding.wait()
            async with other.write() as s:
                arrival = await arrive(s, "U4", "e2")
                assert arrival is not None
                return arrival.conversation.version

        one, two = asyncio.create_task(first()), asyncio.create_task(second())
        await holding.wait()
        done, _ = await asyncio.wait({two}, timeout=0.3)
        assert not done  # blocked on the lock
        release.set()
        await one
        assert await two == 7
    finally:
        await db.dispose()
        await other.dispose()
