"""One contract, every backend: the same class runs against SQLite and PostgreSQL (the db_url fixture)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.replies import Rendered
from storage.db import Database
from storage.models import Agent, Booking, Conversation, Customer, OutboxMessage, Ticket
from storage.repositories import conversations, inbox, outbox, texts, tickets

NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


async def new_conversation(db: Database, user: str) -> int:
    async with db.write() as s:
        ident = await conversations.identity_for(s, "webchat", user)
        conv = await conversations.lock_conversation(s, "webchat", user, ident.id)
        return conv.id


class TestStorageContract:
    async def test_inbox_stores_each_event_once(self, db: Database) -> None:
        async with db.write() as s:
            first = await inbox.store_once(s, "line", "e1", "text", NOW)
            again = await inbox.store_once(s, "line", "e1", "text", NOW)
            other_channel = await inbox.store_once(s, "telegram", "e1", "text", NOW)
        assert first is not None and again is None and other_channel is not None

    async def test_concurrent_inserts_of_one_event_store_it_once(self, db: Database) -> None:
        async def store() -> int | None:
            async with db.write() as s:
                return await inbox.store_once(s, "line", "race", "text", NOW)

        results = await asyncio.gather(*(store() for _ in range(5)))
        assert sum(r is not None for r in results) == 1

    async def test_an_edited_text_is_read_by_the_next_unit_despite_the_cache(self, db: Database) -> None:
        async with db.write() as s:
            agent = Agent(email="admin@example.org", name="Admin", role="admin", password_hash="x")
            s.add(agent)
            await s.flush()
            agent_id = agent.id
            assert await texts.text(s, "payment_instructions", "en") is None  # now cached as absent
        for body in ("Pay at the desk.", "Pay by transfer.", ""):
            async with db.write() as s:
                await texts.set_text(s, "payment_instructions", "en", body, agent_id)
            async with db.write() as s:
                assert await texts.text(s, "payment_instructions", "en") == (body or None)
            async with db.read() as s:
                assert await texts.text(s, "payment_instructions", "en") == (body or None)
            async with db.read() as s:  # a second read within the cache period: the same answer
                assert await texts.text(s, "payment_instructions", "en") == (body or None)

    async def test_conversation_is_created_once_per_channel_user(self, db: Database) -> None:
        a = await new_conversation(db, "u1")
        b = await new_conversation(db, "u1")
        c = await new_conversation(db, "u2")
        assert a == b != c

    async def test_datetimes_come_back_aware_and_equal(self, db: Database) -> None:
        jst = dt.timezone(dt.timedelta(hours=9))
        at = dt.datetime(2028, 2, 29, 23, 59, 59, tzinfo=jst)
        async with db.write() as s:
            s.add(Booking(reference="R-1", clinic="c", kind="surgery", service_at=at))
        async with db.read() as s:
            got = (await s.execute(select(Booking.service_at))).scalar_one()
        assert got == at and got.tzinfo is not None

    async def test_naive_datetimes_are_refused(self, db: Database) -> None:
        with pytest.raises(Exception, match="naive"):
            async with db.write() as s:
                s.add(
                    Booking(reference="R-2", clinic="c", kind="surgery", service_at=dt.datetime(2026, 1, 1))
                )
                await s.flush()

    async def test_outbox_claims_the_oldest_row_per_conversation_only(self, db: Database) -> None:
        conv = await new_conversation(db, "u3")
        async with db.write() as s:
            for i in range(3):
                outbox.enqueue(
                    s,
                    conversation_id=conv,
                    channel="webchat",
                    user_id="u3",
                    messages=[Rendered("text", f"m{i}")],
                    now=NOW,
                )
        async with db.write() as s:
            claimed = await outbox.claim_due(s, ["webchat"], NOW, 10, dt.timedelta(seconds=60))
        assert [r.payload["messages"][0]["text"] for r in claimed] == ["m0"]

    async def test_outbox_claims_at_most_the_limit_oldest_first(self, db: Database) -> None:
        convs = [await new_conversation(db, f"l{i}") for i in range(5)]
        async with db.write() as s:
            for i, c in enumerate(convs):
                outbox.enqueue(
                    s, conversation_id=c, channel="webchat", user_id=f"l{i}",
                    messages=[Rendered("text", f"n{i}")], now=NOW,
                )  # fmt: skip
        async with db.write() as s:
            first = await outbox.claim_due(s, ["webchat"], NOW, 2, dt.timedelta(seconds=60))
        async with db.write() as s:
            rest = await outbox.claim_due(s, ["webchat"], NOW, 10, dt.timedelta(seconds=60))
        assert [r.payload["messages"][0]["text"] for r in first] == ["n0", "n1"]
        assert [r.payload["messages"][0]["text"] for r in rest] == ["n2", "n3", "n4"]

    async def test_outbox_rows_of_other_channels_are_left_alone(self, db: Database) -> None:
        conv = await new_conversation(db, "u4")
        async with db.write() as s:
            outbox.enqueue(
                s,
                conversation_id=conv,
                channel="line",
                user_id="u4",
                messages=[Rendered("text", "x")],
                now=NOW,
            )
        async with db.write() as s:
            assert await outbox.claim_due(s, ["webchat"], NOW, 10, dt.timedelta(seconds=60)) == []

    async def test_concurrent_claims_never_hand_out_a_row_twice(self, db: Database) -> None:
        convs = [await new_conversation(db, f"c{i}") for i in range(12)]
        async with db.write() as s:
            for c in convs:
                outbox.enqueue(
                    s,
                    conversation_id=c,
                    channel="webchat",
                    user_id=str(c),
                    messages=[Rendered("text", "x")],
                    now=NOW,
                )

        async def claim() -> list[int]:
            async with db.write() as s:
                return [
                    r.id for r in await outbox.claim_due(s, ["webchat"], NOW, 4, dt.timedelta(seconds=60))
                ]

        batches = await asyncio.gather(*(claim() for _ in range(5)))
        ids = [i for b in batches for i in b]
        assert len(ids) == len(set(ids)) == 12

    async def test_idempotency_keys_are_fixed_and_unique(self, db: Database) -> None:
        conv = await new_conversation(db, "u5")
        async with db.write() as s:
            rows = [
                outbox.enqueue(
                    s,
                    conversation_id=conv,
                    channel="line",
                    user_id="u5",
                    messages=[Rendered("text", "x")],
                    now=NOW,
                )
                for _ in range(3)
            ]
            await s.flush()
            keys = [r.idempotency_key for r in rows]
        async with db.read() as s:
            stored = (
                (await s.execute(select(OutboxMessage.idempotency_key).order_by(OutboxMessage.id)))
                .scalars()
                .all()
            )
        assert list(stored) == keys and len(set(keys)) == 3

    async def test_one_open_ticket_per_conversation_raised_to_urgent(self, db: Database) -> None:
        conv = await new_conversation(db, "u6")
        async with db.write() as s:
            t1 = await tickets.open_ticket(s, conv, "human")
            t2 = await tickets.open_ticket(s, conv, "late", "urgent")
        assert t1.id == t2.id
        async with db.read() as s:
            rows = (await s.execute(select(Ticket))).scalars().all()
        assert [(t.reason, t.priority) for t in rows] == [("late", "urgent")]

    async def test_a_failed_unit_of_work_leaves_nothing(self, db: Database) -> None:
        with pytest.raises(RuntimeError):
            async with db.write() as s:
                s.add(Customer(full_name="Rolled Back", no_show_count=0))
                await s.flush()
                raise RuntimeError("boom")
        async with db.read() as s:
            assert (await s.execute(select(Customer))).scalars().all() == []

    async def test_conversation_lock_serializes_writers(self, db: Database) -> None:
        conv = await new_conversation(db, "u7")

        async def bump() -> None:
            async with db.write() as s:
                row = await conversations.lock_conversation_by_id(s, conv)
                assert row is not None
                value = row.version
                await asyncio.sleep(0.01)
                row.version = value + 1

        await asyncio.gather(*(bump() for _ in range(10)))
        async with db.read() as s:
            assert (await s.execute(select(Conversation.version))).scalar_one() == 10


async def test_a_read_overlapping_a_write_neither_waits_nor_fails(db_url: str) -> None:
    """Regression: reads began IMMEDIATE on SQLite and failed with "database is locked" during a write."""
    writer, reader = Database(db_url), Database(db_url)
    try:
        async with writer.write() as s:
            s.add(Customer(full_name="In flight", no_show_count=0))
            await s.flush()
            async with reader.read() as r:
                assert (await r.execute(select(Customer))).scalars().all() == []
    finally:
        await writer.dispose()
        await reader.dispose()
