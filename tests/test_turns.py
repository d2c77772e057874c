"""A turn's writes (storage.repositories.turns): the conversation, the answer's outbox row and the
transcript lines, on PostgreSQL in one statement. Whichever way they are written, the rows must be
exactly what the statements one after the other write."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.replies import Rendered
from storage import statements
from storage.db import Database
from storage.models import Conversation, OutboxMessage
from storage.repositories import arrivals, conversations, outbox, turns

NOW = dt.datetime(2026, 12, 2, 9, 0, 0, 250000, tzinfo=dt.UTC)
LEASE = NOW + dt.timedelta(seconds=6)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def draft(
    s: Any, conv_id: int, texts: list[str], *, lease: bool = True, delivered: int = 0
) -> outbox.ReplyDraft:
    return outbox.reply_draft(
        s,
        conversation_id=conv_id,
        channel="line",
        user_id="U1",
        messages=[Rendered("text", t) for t in texts],
        reply_token="tok",
        reply_token_expires_at=NOW + dt.timedelta(seconds=50),
        lease_until=LEASE if lease else None,
        now=NOW,
        delivered=list(range(10_000, 10_000 + delivered)),
    )


async def a_turn(
    db: Database, event_id: str, texts: list[str], *, other_change: bool = False, delivered: int = 0
) -> tuple[outbox.Enqueued | None, list[str]]:
    """One event's unit as the engine runs it; the statements it sent on the cursor."""
    sent: list[str] = []
    statements.listeners.append(sent.append)
    try:
        async with db.write() as s:
            arrival = await arrivals.arrive(
                s, channel="line", user_id="U1", event_id=event_id, kind="text", received_at=NOW
            )
            assert arrival is not None
            conv = arrival.conversation
            conversations.add_transcript(
                s, conv.id, "customer", f"said {event_id}", event_id=event_id, at=NOW
            )
            conv.version += 1
            conv.stack = {"frames": [], "token": str(conv.version)}
            conv.last_event_at = NOW
            if other_change:
                conv.link_failures += 1  # not a turn column: the ORM flushes the conversation
            reply = draft(s, conv.id, texts, delivered=delivered) if texts else None
            lines = [(t, Rendered("text", t).to_json()) for t in texts]
            row = await turns.finish(s, conv, reply, lines)
    finally:
        statements.listeners.remove(sent.append)
    return row, [" ".join(sql.split()[:3]) for sql in sent if sql.split()[0] in ("WITH", "INSERT", "UPDATE")]


async def stored(db: Database) -> tuple[Conversation, list[OutboxMessage], list[tuple[Any, ...]]]:
    async with db.read() as s:
        conv = (await s.execute(select(Conversation))).scalar_one()
        rows = list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
        lines = [
            (m.author, m.text, m.event_id, m.payload, m.outbox_id, m.created_at)
            for m in await conversations.transcript(s, conv.id)
        ]
    return conv, rows, lines


async def test_a_turn_writes_the_conversation_its_answer_and_its_lines(db: Database) -> None:
    first, sent = await a_turn(db, "e1", ["hello", "which one?"])
    assert first is not None and first.claimed and first.reply_marked
    if db.is_postgres:
        assert sent == ["WITH saved AS"]  # after the arrival: the whole turn in one statement
    conv, rows, lines = await stored(db)
    assert conv.version == 1 and conv.stack == {"frames": [], "token": "1"} and conv.last_event_at == NOW
    assert [(r.id, r.status, r.attempts, r.locked_until, r.reply_attempted_at) for r in rows] == [
        (first.id, "sending", 1, LEASE, NOW)
    ]
    assert rows[0].payload == {
        "messages": [Rendered("text", "hello").to_json(), Rendered("text", "which one?").to_json()]
    }
    assert rows[0].idempotency_key == first.idempotency_key
    assert [line[:5] for line in lines] == [
        ("customer", "said e1", "e1", None, None),
        ("bot", "hello", None, Rendered("text", "hello").to_json(), first.id),
        ("bot", "which one?", None, Rendered("text", "which one?").to_json(), first.id),
    ]
    assert lines[0][5] == NOW and all(line[5].tzinfo is not None for line in lines)


async def test_an_answer_behind_an_undelivered_one_waits_and_its_lines_still_name_it(db: Database) -> None:
    first, _ = await a_turn(db, "e1", ["one"])
    second, _ = await a_turn(db, "e2", ["two"])
    assert first is not None and second is not None
    assert first.claimed and not second.claimed and not second.reply_marked
    _, rows, lines = await stored(db)
    assert [(r.status, r.locked_until, r.reply_attempted_at) for r in rows] == [
        ("sending", LEASE, NOW),
        ("pending", None, None),
    ]
    assert [(line[1], line[4]) for line in lines] == [
        ("said e1", None),
        ("one", first.id),
        ("said e2", None),
        ("two", second.id),
    ]


async def test_a_turn_without_an_answer_writes_the_conversation_and_the_customers_line(db: Database) -> None:
    row, sent = await a_turn(db, "e1", [])
    assert row is None
    if db.is_postgres:
        assert sent == ["WITH saved AS"]
    conv, rows, lines = await stored(db)
    assert (
        conv.version == 1
        and rows == []
        and [line[:5] for line in lines] == [("customer", "said e1", "e1", None, None)]
    )


@pytest.mark.parametrize("why", ["another column changed", "a long delivered list"])
async def test_a_turn_the_single_statement_cannot_cover_is_written_in_steps_alike(
    db: Database, why: str
) -> None:
    row, sent = await a_turn(
        db,
        "e1",
        ["hello"],
        other_change=why == "another column changed",
        delivered=40 if why == "a long delivered list" else 0,
    )
    assert row is not None and row.claimed
    assert "WITH saved AS" not in sent
    conv, rows, lines = await stored(db)
    assert conv.version == 1 and conv.link_failures == (1 if why == "another column changed" else 0)
    assert [r.status for r in rows] == ["sending"]
    assert [(line[1], line[4]) for line in lines] == [("said e1", None), ("hello", row.id)]


async def test_a_failed_unit_leaves_no_part_of_its_turn(db: Database) -> None:
    await a_turn(db, "e0", [])
    with pytest.raises(RuntimeError):
        async with db.write() as s:
            arrival = await arrivals.arrive(
                s, channel="line", user_id="U1", event_id="e1", kind="text", received_at=NOW
            )
            assert arrival is not None
            conversations.add_transcript(s, arrival.conversation.id, "customer", "lost", event_id="e1")
            arrival.conversation.version += 1
            await turns.finish(s, arrival.conversation, draft(s, arrival.conversation.id, ["x"]), [("x", {})])
            raise RuntimeError("after the turn, before the commit")
    conv, rows, lines = await stored(db)
    assert conv.version == 1 and rows == [] and [line[1] for line in lines] == ["said e0"]
