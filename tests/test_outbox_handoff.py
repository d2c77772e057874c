"""The hot path's storage, on SQLite and PostgreSQL: an answer inserted already leased (unless an earlier
one of its conversation is undelivered), sent rows marked in one batch, the reply-attempt mark carried
by the claim, and transcript lines written together at commit yet readable inside their unit of work."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.replies import Rendered
from storage.db import Database
from storage.models import OutboxMessage, TranscriptMessage
from storage.repositories import conversations, outbox

NOW = dt.datetime.now(dt.UTC)
LEASE = NOW + dt.timedelta(seconds=6)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


async def new_conversation(db: Database, user: str) -> int:
    async with db.write() as s:
        ident = await conversations.identity_for(s, "line", user)
        conv = await conversations.lock_conversation(s, "line", user, ident.id)
        return conv.id


async def answer(db: Database, conv_id: int, token: str | None, lease: bool = True) -> outbox.Enqueued:
    async with db.write() as s:
        return await outbox.run_draft(
            s,
            outbox.reply_draft(
                s,
                conversation_id=conv_id,
                channel="line",
                user_id="U1",
                messages=[Rendered("text", "hello")],
                reply_token=token,
                reply_token_expires_at=NOW + dt.timedelta(seconds=50) if token else None,
                lease_until=LEASE if lease else None,
                now=NOW,
            ),
        )


async def row(db: Database, outbox_id: int) -> OutboxMessage:
    async with db.read() as s:
        found = await s.get(OutboxMessage, outbox_id)
    assert found is not None
    return found


async def test_an_answer_is_inserted_leased_and_the_next_one_waits_behind_it(db: Database) -> None:
    conv = await new_conversation(db, "U1")
    first = await answer(db, conv, "tok-1")
    second = await answer(db, conv, "tok-2")
    assert first.claimed and first.reply_marked
    assert not second.claimed and not second.reply_marked
    r1, r2 = await row(db, first.id), await row(db, second.id)
    assert (r1.status, r1.attempts, r1.locked_until is not None) == ("sending", 1, True)
    assert r1.reply_attempted_at is not None and r1.idempotency_key == first.idempotency_key
    assert (r2.status, r2.attempts, r2.locked_until, r2.reply_attempted_at) == ("pending", 0, None, None)

    # Nothing to claim while the first is out; once it is marked sent, the second is due.
    async with db.write() as s:
        assert await outbox.claim_due_marked(s, ["line"], NOW, 10, dt.timedelta(seconds=6)) == []
    async with db.write() as s:
        await outbox.mark_sent(s, [(first.id, 1)], NOW)
    async with db.write() as s:
        claimed = await outbox.claim_due_marked(s, ["line"], NOW, 10, dt.timedelta(seconds=6))
    assert [(r.id, marked) for r, marked in claimed] == [(second.id, True)]
    assert (await row(db, first.id)).status == "sent"
    assert (await row(db, second.id)).reply_attempted_at is not None


async def test_without_a_lease_the_answer_is_pending_for_the_worker(db: Database) -> None:
    conv = await new_conversation(db, "U2")
    queued = await answer(db, conv, "tok", lease=False)
    assert not queued.claimed
    assert (await row(db, queued.id)).status == "pending"


async def test_mark_sent_leaves_a_row_settled_meanwhile_alone(db: Database) -> None:
    conv_a, conv_b = await new_conversation(db, "U3"), await new_conversation(db, "U4")
    a, b = await answer(db, conv_a, None), await answer(db, conv_b, None)
    async with db.write() as s:
        await outbox.cancel_pending(s, conv_b, "customer unfollowed")
    async with db.write() as s:
        await outbox.mark_sent(s, [(a.id, 1), (b.id, 1)], NOW)
    assert (await row(db, a.id)).status == "sent"
    assert (await row(db, b.id)).status == "cancelled"


async def test_transcript_lines_are_read_back_in_their_unit_of_work_and_kept_in_order(db: Database) -> None:
    conv = await new_conversation(db, "U5")
    async with db.write() as s:
        conversations.add_transcript(s, conv, "customer", "first")
        conversations.add_transcript(s, conv, "bot", "second")
        inside = [m.text for m in await conversations.transcript(s, conv)]
        conversations.add_transcript(s, conv, "bot", "third")
    async with db.read() as s:
        after = [m.text for m in await conversations.transcript(s, conv)]
    assert inside == ["first", "second"]
    assert after == ["first", "second", "third"]


async def test_transcript_lines_of_a_failed_unit_of_work_are_never_written(db: Database) -> None:
    conv = await new_conversation(db, "U6")
    with pytest.raises(RuntimeError):
        async with db.write() as s:
            conversations.add_transcript(s, conv, "customer", "lost")
            raise RuntimeError("the unit of work fails")
    async with db.write() as s:
        conversations.add_transcript(s, conv, "customer", "kept")
    async with db.read() as s:
        texts = (await s.execute(select(TranscriptMessage.text))).scalars().all()
    assert texts == ["kept"]


async def test_a_line_naming_a_pending_outbox_row_gets_its_id(db: Database) -> None:
    conv = await new_conversation(db, "U7")
    async with db.write() as s:
        pending = outbox.enqueue(s, conversation_id=conv, channel="line", user_id="U7", messages=[])
        conversations.add_transcript(s, conv, "bot", "with its row", outbox=pending)
    async with db.read() as s:
        line = (await s.execute(select(TranscriptMessage))).scalar_one()
    assert line.outbox_id is not None and line.outbox_id == pending.id


async def test_an_answer_behind_a_row_already_delivered_but_not_yet_marked_goes_at_once(db: Database) -> None:
    conv = await new_conversation(db, "U8")
    first = await answer(db, conv, None)
    async with db.write() as s:
        second = await outbox.run_draft(
            s,
            outbox.reply_draft(
                s,
                conversation_id=conv,
                channel="line",
                user_id="U8",
                messages=[Rendered("text", "next")],
                reply_token=None,
                reply_token_expires_at=None,
                lease_until=LEASE,
                now=NOW,
                delivered=[first.id],
            ),
        )
    assert first.claimed and second.claimed
    assert (await row(db, second.id)).status == "sending"


async def test_a_lease_is_renewed_only_for_rows_still_being_sent(db: Database) -> None:
    conv_a, conv_b = await new_conversation(db, "U9"), await new_conversation(db, "U10")
    a, b = await answer(db, conv_a, None), await answer(db, conv_b, None)
    async with db.write() as s:
        await outbox.mark_sent(s, [(b.id, 1)], NOW)
    later = NOW + dt.timedelta(seconds=60)
    async with db.write() as s:
        await outbox.renew_lease(s, [b.id, a.id], later)
    renewed, finished = await row(db, a.id), await row(db, b.id)
    assert renewed.status == "sending" and renewed.locked_until == later
    assert finished.status == "sent" and finished.locked_until is None


async def reply_behind(db: Database, conv_id: int, user: str, delivered: list[int]) -> outbox.Enqueued:
    async with db.write() as s:
        return await outbox.run_draft(
            s,
            outbox.reply_draft(
                s,
                conversation_id=conv_id,
                channel="line",
                user_id=user,
                messages=[Rendered("text", "next")],
                reply_token=None,
                reply_token_expires_at=None,
                lease_until=LEASE,
                now=NOW,
                delivered=delivered,
            ),
        )


@pytest.mark.parametrize("earlier", [1, 4, 5, 32, 33])  # the IN list padded to 4, to 32, or expanded
async def test_an_answer_goes_behind_any_number_of_delivered_rows_but_waits_behind_one_more(
    db: Database, earlier: int
) -> None:
    user = f"D{earlier}"
    conv = await new_conversation(db, user)
    delivered: list[int] = []
    for _ in range(earlier + 1):
        made = await reply_behind(db, conv, user, delivered)
        assert made.claimed
        delivered.append(made.id)
    waiting = await reply_behind(db, conv, user, delivered[:-1])  # the newest is still out
    assert not waiting.claimed and (await row(db, waiting.id)).status == "pending"


@pytest.mark.parametrize("lines", [1, 3, 9])
async def test_a_units_transcript_lines_are_written_whole_and_in_order(db: Database, lines: int) -> None:
    conv = await new_conversation(db, f"L{lines}")
    async with db.write() as s:
        for i in range(lines):
            conversations.add_transcript(
                s, conv, "customer" if i % 2 else "bot", f"line {i}", payload={"n": i}, at=NOW
            )
    async with db.read() as s:
        stored = (
            (
                await s.execute(
                    select(TranscriptMessage)
                    .where(TranscriptMessage.conversation_id == conv)
                    .order_by(TranscriptMessage.id)
                )
            )
            .scalars()
            .all()
        )
    assert [(m.text, m.author, m.payload, m.created_at) for m in stored] == [
        (f"line {i}", "customer" if i % 2 else "bot", {"n": i}, NOW) for i in range(lines)
    ]


async def test_a_batch_of_sent_marks_in_a_single_statement_unit_is_committed_by_itself(db: Database) -> None:
    # db.single(): on PostgreSQL in autocommit (no BEGIN and COMMIT round trips), so the marks are
    # visible to everyone as soon as the statement returns; on SQLite the writer's unit, at its end.
    conv = await new_conversation(db, "U1")
    a = await answer(db, conv, "tok-1")
    async with db.single() as s:
        await outbox.mark_sent(s, [(a.id, 1)], NOW)
        if db.is_postgres:
            assert (await row(db, a.id)).status == "sent"  # another connection sees it already
    marked = await row(db, a.id)
    assert (marked.status, marked.parts_sent, marked.locked_until) == ("sent", 1, None)
