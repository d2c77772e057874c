"""Every conversation (filters, keyset pages) and full-text search, on SQLite (FTS5 trigram) and
PostgreSQL (pg_trgm): phrases in Japanese, Thai and Chinese found inside longer messages."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, text, update

from storage.db import Database
from storage.models import (
    Agent,
    ChannelIdentity,
    Conversation,
    ConversationLabel,
    Customer,
    Label,
    Ticket,
    TranscriptMessage,
)
from storage.repositories import conversation_list as finder

search_migration = importlib.import_module("storage.migrations.versions.0007a_search_people_only")

T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)
LINES = {
    "vi": "Xin chào, tôi muốn ĐỔI LỊCH hẹn sang tuần sau",
    "ja": "こんにちは、来週の予約を変更したいのですが、手術の時間は午後にできますか？",
    "th": "สวัสดีค่ะ ดิฉันต้องการยกเลิกการจองวันพรุ่งนี้เพราะไม่สบาย",
    "zh_Hans": "你好，我想改一下预约的时间，因为航班延误了，谢谢",
    "en": "Hello, my flight is delayed and I will be LATE for the consultation",
    "ko": "안녕하세요, 예약을 취소하고 싶습니다",
}


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


async def seed(db: Database) -> dict[str, int]:
    """Six conversations, one per language, an hour apart (vi newest, then ja); the Japanese one is linked,
    labelled and was claimed by an agent; the Thai one waits; the Chinese one was resolved."""
    ids: dict[str, int] = {}
    async with db.write() as s:
        agent = Agent(email="a@example.com", name="Aiko", role="agent", password_hash="x", failed_logins=0)
        customer = Customer(full_name="X", no_show_count=0)
        label = Label(name="VIP", colour="purple", created_at=T0)
        s.add_all([agent, customer, label])
        await s.flush()
        for n, (locale, text) in enumerate(reversed(LINES.items())):
            at = T0 + dt.timedelta(hours=n)
            channel = "line" if locale in ("ja", "th") else "telegram"
            identity = ChannelIdentity(channel=channel, user_id=f"u-{locale}", created_at=at)
            s.add(identity)
            await s.flush()
            conv = Conversation(
                channel=channel, user_id=f"u-{locale}", identity_id=identity.id, locale=locale,
                mode="bot", stack={}, version=0, link_failures=0, last_event_at=at, created_at=at,
            )  # fmt: skip
            s.add(conv)
            await s.flush()
            ids[locale] = conv.id
            s.add(TranscriptMessage(conversation_id=conv.id, author="customer", text=text, created_at=at))
            s.add(
                TranscriptMessage(
                    conversation_id=conv.id, author="bot", text="予約について承りました", created_at=at
                )
            )
            if locale == "ja":
                identity.customer_id = customer.id
                s.add(ConversationLabel(conversation_id=conv.id, label_id=label.id, added_at=at))
                conv.mode = "agent"
                s.add(Ticket(conversation_id=conv.id, reason="human", status="claimed", claimed_by=agent.id))
            if locale == "th":
                conv.mode = "queued"
                s.add(Ticket(conversation_id=conv.id, reason="human", status="open"))
            if locale == "zh_Hans":
                s.add(
                    Ticket(conversation_id=conv.id, reason="change", status="resolved", claimed_by=agent.id)
                )
        await s.flush()
        ids["agent"], ids["label"] = agent.id, label.id
    return ids


async def found(db: Database, query: str, **filters: object) -> list[tuple[int, str]]:
    async with db.read() as s:
        hits, _ = await finder.search(s, query, finder.Filters(**filters))  # type: ignore[arg-type]
    return [(h.conversation_id, h.text) for h in hits]


async def test_phrases_in_japanese_thai_and_chinese_are_found_inside_longer_messages(db: Database) -> None:
    ids = await seed(db)
    assert await found(db, "手術の時間") == [(ids["ja"], LINES["ja"])]
    assert await found(db, "ยกเลิกการจอง") == [(ids["th"], LINES["th"])]
    assert await found(db, "航班延误") == [(ids["zh_Hans"], LINES["zh_Hans"])]
    assert await found(db, "late for the") == [(ids["en"], LINES["en"])]  # any case
    assert await found(db, "đổi lịch") == [(ids["vi"], LINES["vi"])]  # any case, beyond ASCII
    # Two characters cannot be a trigram: the LIKE fallback still finds them (customers' lines only,
    # not the bot's 予約について… in every conversation).
    assert await found(db, "予約") == [(ids["ja"], LINES["ja"])]
    assert await found(db, "예약") == [(ids["ko"], LINES["ko"])]
    assert await found(db, "変更したくない") == []
    # LIKE wildcards and FTS5 syntax in a query are plain characters.
    assert await found(db, "%") == [] and await found(db, "_") == []
    for syntax in ('"手術の時間"', "手術 OR 予約", "NEAR(手術", "手術*", "'); DROP TABLE x; --"):
        assert await found(db, syntax) == []


async def test_search_honours_the_filters_and_follows_edits_and_deletes(db: Database) -> None:
    ids = await seed(db)
    assert await found(db, "手術の時間", channel="telegram") == []
    assert await found(db, "手術の時間", linked=True, label_id=ids["label"]) != []
    async with db.write() as s:
        await s.execute(
            update(TranscriptMessage)
            .where(TranscriptMessage.conversation_id == ids["th"], TranscriptMessage.author == "customer")
            .values(text="ขอบคุณค่ะ")
        )
        await s.execute(delete(Conversation).where(Conversation.id == ids["zh_Hans"]))
    # The FTS table follows updates and (cascading) deletes.
    assert await found(db, "ยกเลิกการจอง") == []
    assert await found(db, "ขอบคุณค่ะ") == [(ids["th"], "ขอบคุณค่ะ")]
    assert await found(db, "航班延误") == []


async def listed(db: Database, filters: finder.Filters, limit: int = 50) -> list[int]:
    async with db.read() as s:
        rows, _ = await finder.list_page(s, filters, limit=limit)
    return [r.id for r in rows]


async def test_every_conversation_filtered_by_each_field(db: Database) -> None:
    ids = await seed(db)
    newest_first = [ids[k] for k in LINES]
    assert await listed(db, finder.Filters()) == newest_first
    assert await listed(db, finder.Filters(channel="line")) == [ids["ja"], ids["th"]]
    assert await listed(db, finder.Filters(locale="th")) == [ids["th"]]
    assert await listed(db, finder.Filters(status="agent")) == [ids["ja"]]
    assert await listed(db, finder.Filters(status="queued")) == [ids["th"]]
    assert await listed(db, finder.Filters(status="resolved")) == [ids["zh_Hans"]]
    assert await listed(db, finder.Filters(status="bot")) == [ids["vi"], ids["en"], ids["ko"]]
    assert await listed(db, finder.Filters(label_id=ids["label"])) == [ids["ja"]]
    assert await listed(db, finder.Filters(agent_id=ids["agent"])) == [ids["ja"], ids["zh_Hans"]]
    assert await listed(db, finder.Filters(linked=True)) == [ids["ja"]]
    assert await listed(db, finder.Filters(linked=False)) == [i for i in newest_first if i != ids["ja"]]
    window = finder.Filters(since=T0 + dt.timedelta(hours=2), until=T0 + dt.timedelta(hours=4))
    assert await listed(db, window) == [ids["th"], ids["zh_Hans"]]
    async with db.read() as s:
        rows, _ = await finder.list_page(s, finder.Filters(locale="ja"))
    assert rows[0].status == "agent" and rows[0].agent_name == "Aiko" and rows[0].linked
    assert [label.name for label in rows[0].labels] == ["VIP"]


async def test_keyset_pages_cover_every_conversation_once_in_order(db: Database) -> None:
    ids = await seed(db)
    async with db.write() as s:
        # Two conversations at the same instant: the id breaks the tie.
        await s.execute(
            update(Conversation).where(Conversation.id.in_([ids["ko"], ids["en"]])).values(last_event_at=T0)
        )
    seen: list[int] = []
    cursor: finder.Cursor | None = None
    while True:
        async with db.read() as s:
            rows, cursor = await finder.list_page(s, finder.Filters(), cursor, limit=2)
        seen += [r.id for r in rows]
        if cursor is None:
            break
    assert seen == await listed(db, finder.Filters())
    assert sorted(seen) == sorted(ids[k] for k in LINES)


async def test_search_pages_by_message_id(db: Database) -> None:
    ids = await seed(db)
    async with db.write() as s:
        for n in range(5):
            s.add(
                TranscriptMessage(conversation_id=ids["en"], author="customer", text=f"flight {n} is delayed")
            )
    texts: list[str] = []
    before: int | None = None
    while True:
        async with db.read() as s:
            hits, before = await finder.search(s, "is delayed", finder.Filters(), before_id=before, limit=2)
        texts += [h.text for h in hits]
        if before is None:
            break
    assert texts == [f"flight {n} is delayed" for n in reversed(range(5))] + [LINES["en"]]


async def _indexed_lines(db: Database) -> int | None:
    """How many lines the search index holds (SQLite: FTS5's one row per document), or None on
    PostgreSQL, where the index is checked to be partial instead."""
    async with db.read() as s:
        if db.is_sqlite:
            return int((await s.execute(text("SELECT count(*) FROM transcript_fts_docsize"))).scalar_one())
        indexdef = (
            await s.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_transcript_text_trgm'")
            )
        ).scalar_one()
        assert "WHERE" in indexdef and all(f"'{a}'" in indexdef for a in finder.PEOPLE)
        return None


async def test_only_what_people_wrote_is_indexed(db: Database) -> None:
    # Regression: every bot line (the whole menu, every turn) was indexed though never searched.
    assert search_migration.INDEXED == "(" + ", ".join(f"'{a}'" for a in finder.PEOPLE) + ")"
    ids = await seed(db)
    people = len(LINES)
    assert await _indexed_lines(db) in (people, None)
    async with db.write() as s:
        s.add(
            TranscriptMessage(
                conversation_id=ids["vi"], author="system", text="xin chào hệ thống", created_at=T0
            )
        )
        s.add(
            TranscriptMessage(
                conversation_id=ids["vi"], author="note", text="khách VIP gọi lại", created_at=T0
            )
        )
        await s.execute(delete(Conversation).where(Conversation.id == ids["ko"]))
    assert await _indexed_lines(db) in (people, None)  # +1 note, -1 customer line of ko
    assert await found(db, "khách VIP") == [(ids["vi"], "khách VIP gọi lại")]
    assert await found(db, "hệ thống") == []
    assert await found(db, "予約について") == []  # the bot's line in every conversation
    with pytest.raises(ValueError):
        async with db.read() as s:
            await finder.search(s, "予約について", finder.Filters(), authors=("bot",))
