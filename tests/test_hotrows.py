"""The hot path's identity and conversation, loaded and saved beside the ORM (storage.repositories.hotrows):
what they hold and write must be exactly what the ORM's own load and flush would, on both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from storage import statements
from storage.db import Database
from storage.models import ChannelIdentity, Conversation
from storage.repositories import conversations, inbox, turns

NOW = dt.datetime(2026, 12, 2, 5, 0, 0, 123456, tzinfo=dt.UTC)
COLUMNS = [c.key for c in Conversation.__table__.columns]


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


async def seeded(db: Database, user: str) -> int:
    async with db.write() as s:
        identity = await conversations.identity_for(s, "line", user)
        identity.display_name, identity.locale_hint, identity.linked_at = "Mei", "zh-TW", NOW
        conv = await conversations.lock_conversation(s, "line", user, identity.id)
        conv.stack = {"frames": [{"flow": "menu", "step": "main", "data": {"n": 1}}], "token": "3"}
        conv.locale, conv.locale_source, conv.last_event_at, conv.version = "zh-TW", "chosen", NOW, 3
        return conv.id


async def orm_view(db: Database, conversation_id: int) -> tuple[dict[str, object], dict[str, object]]:
    async with db.read() as s:
        conv = (await s.execute(select(Conversation).where(Conversation.id == conversation_id))).scalar_one()
        ident = (
            await s.execute(select(ChannelIdentity).where(ChannelIdentity.id == conv.identity_id))
        ).scalar_one()
        return (
            {k: getattr(conv, k) for k in COLUMNS},
            {c.key: getattr(ident, c.key) for c in ChannelIdentity.__table__.columns},
        )


async def test_a_placed_identity_and_conversation_hold_what_the_orm_loads(db: Database) -> None:
    conv_id = await seeded(db, "U1")
    expected_conv, expected_ident = await orm_view(db, conv_id)
    async with db.write() as s:
        await inbox.store_once(s, "line", "e1", "text", NOW)  # the unit's first statement, as in the engine
        identity, conv = await conversations.identity_and_conversation(s, "line", "U1")
        assert {k: getattr(conv, k) for k in COLUMNS} == expected_conv
        assert {c.key: getattr(identity, c.key) for c in ChannelIdentity.__table__.columns} == expected_ident
        assert conv.last_event_at is not None and conv.last_event_at.tzinfo is not None
        assert conv in s and identity in s and not s.dirty and not s.new
        assert inspect(conv).persistent


async def test_a_turn_saves_its_columns_in_one_update_and_leaves_nothing_to_flush(db: Database) -> None:
    conv_id = await seeded(db, "U2")
    before, _ = await orm_view(db, conv_id)
    later = NOW + dt.timedelta(minutes=5)
    async with db.write() as s:
        await inbox.store_once(s, "line", "e2", "text", later)
        _, conv = await conversations.identity_and_conversation(s, "line", "U2")
        conv.version += 1
        conv.stack = {"frames": [], "token": "4", "labels": {"ja": "日本語"}}
        conv.last_event_at, conv.locale, conv.mode = later, "ja", "queued"
        await conversations.save_turn(s, conv)
        assert conv not in s and not inspect(conv).committed_state  # saved: nothing left to flush
    after, _ = await orm_view(db, conv_id)
    assert after["version"] == 4 and after["mode"] == "queued" and after["locale"] == "ja"
    assert after["stack"] == {"frames": [], "token": "4", "labels": {"ja": "日本語"}}
    assert after["last_event_at"] == later
    assert after["updated_at"] > before["updated_at"]  # type: ignore[operator]
    untouched = {"channel", "user_id", "identity_id", "link_failures", "link_locked_until", "created_at"}
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}


async def test_a_change_the_turn_update_does_not_cover_is_flushed_with_the_rest(db: Database) -> None:
    conv_id = await seeded(db, "U3")
    async with db.write() as s:
        await inbox.store_once(s, "line", "e3", "text", NOW)
        _, conv = await conversations.identity_and_conversation(s, "line", "U3")
        conv.version += 1
        conv.link_failures = 2  # e.g. a failed identity link: not a turn column
        await conversations.save_turn(s, conv)
        assert conv in s and inspect(conv).modified  # left to the ORM, whole
    after, _ = await orm_view(db, conv_id)
    assert after["version"] == 4 and after["link_failures"] == 2


async def test_a_saved_turn_is_rolled_back_with_its_unit(db: Database) -> None:
    conv_id = await seeded(db, "U4")
    with pytest.raises(RuntimeError):
        async with db.write() as s:
            await inbox.store_once(s, "line", "e4", "text", NOW)
            _, conv = await conversations.identity_and_conversation(s, "line", "U4")
            conv.version += 1
            await conversations.save_turn(s, conv)
            raise RuntimeError("the unit fails after the save")
    after, _ = await orm_view(db, conv_id)
    assert after["version"] == 3
    async with db.write() as s:
        assert await inbox.store_once(s, "line", "e4", "text", NOW) is not None  # the event went too


async def test_a_statement_run_on_the_cursor_fails_with_the_error_sqlalchemy_would_raise(
    db: Database,
) -> None:
    # e.g. callers that catch IntegrityError or DBAPIError must not see the driver's own exception
    with pytest.raises(IntegrityError):
        async with db.write() as s:
            await inbox.store_once(s, "line", "e5", "text", NOW)
            conversations.add_transcript(s, 987654, "bot", "a line of no conversation")


async def test_a_turn_saved_with_its_transcript_lines_writes_both_exactly(db: Database) -> None:
    # On PostgreSQL the UPDATE and the lines go as one statement (arrays unnested): every value must
    # come out as the ORM's own insert would leave it, NULLs and JSON included, in the order added.
    conv_id = await seeded(db, "U6")
    later = NOW + dt.timedelta(minutes=7)
    payload: dict[str, object] = {
        "kind": "choices",
        "text": "どれにしますか",
        "options": [{"id": "a", "label": "改期"}],
    }
    sent: list[str] = []
    statements.listeners.append(sent.append)
    async with db.write() as s:
        await inbox.store_once(s, "line", "e6", "text", later)
        _, conv = await conversations.identity_and_conversation(s, "line", "U6")
        conversations.add_transcript(s, conv_id, "customer", "改期したい", event_id="e6", at=later)
        conversations.add_transcript(s, conv_id, "bot", "どれにしますか\n1. 改期", payload=payload, at=later)
        conversations.add_transcript(s, conv_id, "bot", "", payload={}, at=later)
        conv.version += 1
        conv.stack = {"frames": [], "token": "4"}
        await turns.finish(s, conv)
        assert not inspect(conv).committed_state
    statements.listeners.remove(sent.append)
    written = [sql.split()[0:3] for sql in sent if sql.split()[0] in ("UPDATE", "INSERT", "WITH")]
    if db.is_postgres:
        # one statement for the turn and its lines (the inbox INSERT went through SQLAlchemy)
        assert written == [["WITH", "saved", "AS"]]
    else:
        assert written == [
            ["INSERT", "INTO", "inbox_events"],
            ["UPDATE", "conversations", "SET"],
            ["INSERT", "INTO", "transcript_messages"],
        ]
    async with db.read() as s:
        lines = await conversations.transcript(s, conv_id)
    assert [(m.author, m.text, m.event_id, m.payload, m.agent_id, m.outbox_id) for m in lines] == [
        ("customer", "改期したい", "e6", None, None, None),
        ("bot", "どれにしますか\n1. 改期", None, payload, None, None),
        ("bot", "", None, {}, None, None),
    ]
    assert all(m.created_at == later for m in lines)
    after, _ = await orm_view(db, conv_id)
    assert after["version"] == 4 and after["stack"] == {"frames": [], "token": "4"}


async def test_a_turn_and_its_lines_are_rolled_back_together(db: Database) -> None:
    conv_id = await seeded(db, "U7")
    with pytest.raises(RuntimeError):
        async with db.write() as s:
            await inbox.store_once(s, "line", "e7", "text", NOW)
            _, conv = await conversations.identity_and_conversation(s, "line", "U7")
            conversations.add_transcript(s, conv_id, "customer", "hello", event_id="e7")
            conv.version += 1
            await turns.finish(s, conv)
            raise RuntimeError("the unit fails after the save")
    async with db.read() as s:
        assert await conversations.transcript(s, conv_id) == []
    after, _ = await orm_view(db, conv_id)
    assert after["version"] == 3
