"""The console's every-conversation page and search over HTTP (SQLite and PostgreSQL): the matching line
highlighted and inert, the link to the message, roles, the audit entry; labels and notes on a customer."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
from sqlalchemy import select

from bot.config import Settings
from bot.logs import hashed
from storage.models import (
    AuditEntry,
    ConversationLabel,
    CustomerNote,
    Label,
    TranscriptMessage,
)
from storage.repositories.console_data import erase_customer, export_customer
from storage.repositories.tickets import open_ticket
from tests.console.support import Running, add_agent, count, link, running, seed_customer, sign_in
from tests.support.collecting import event

JA = "来週の手術ですが、<script>alert(1)</script>時間を午後に変更できますか"
TH = "ดิฉันต้องการยกเลิกการจองวันพรุ่งนี้ค่ะ"
ZH = "因为航班延误了，我想改一下预约的时间"


async def chat(app: Running, user: str, text: str, locale: str) -> int:
    result = await app.engine.handle(event(user, text, locale_hint=locale))
    assert result.conversation_id is not None
    return result.conversation_id


async def message_id(app: Running, conv_id: int, text: str) -> int:
    async with app.db.read() as s:
        found = await s.execute(
            select(TranscriptMessage.id).where(
                TranscriptMessage.conversation_id == conv_id, TranscriptMessage.text == text
            )
        )
        return int(found.scalar_one())


async def test_search_finds_each_language_highlights_inertly_links_the_line_and_is_audited(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@example.com", "Ann")
        ja, th, zh = (
            await chat(app, "u-ja", JA, "ja"),
            await chat(app, "u-th", TH, "th"),
            await chat(app, "u-zh", ZH, "zh-Hans"),
        )
        ann = await app.login("ann@example.com")
        for conv_id, text, phrase in (
            (ja, JA, "時間を午後に"),
            (th, TH, "ยกเลิกการจอง"),
            (zh, ZH, "航班延误"),
        ):
            page = await ann.client.get("/console/conversations", params={"q": phrase})
            assert page.status_code == 200
            links = re.findall(r'href="/console/conversations/(\d+)#m-(\d+)"', page.text)
            assert links == [(str(conv_id), str(await message_id(app, conv_id, text)))]
            assert f"<mark>{phrase}</mark>" in page.text
        # A result's older lines come from /lines (what the page fetches when the line is not loaded).
        first = await message_id(app, ja, JA)
        older = await ann.client.get(f"/console/api/conversations/{ja}/lines?from={first}&before={first + 1}")
        assert [e["id"] for e in older.json()["entries"]] == [first]
        assert older.json()["entries"][0]["text"] == JA  # JSON: the page sets it as textContent
        assert (await ann.client.get(f"/console/api/conversations/{ja}/lines?from=5")).status_code == 400
        assert (
            await ann.client.get("/console/api/conversations/999/lines?from=1&before=2")
        ).status_code == 404
        page = await ann.client.get("/console/conversations", params={"q": "手術"})  # 2 characters
        assert "<mark>手術</mark>" in page.text
        # Customer text is escaped before the match is marked: the script is text, never markup.
        assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        async with app.db.read() as s:
            entries = list(
                (
                    await s.execute(select(AuditEntry).where(AuditEntry.action == "conversation.search"))
                ).scalars()
            )
        assert len(entries) == 4
        last = entries[-1]
        assert last.detail is not None and last.detail["query"] == hashed("手術")
        assert last.detail["results"] == 1 and last.detail["chars"] == 2
        # The words searched are customer text: never in the log in clear.
        assert not any(
            w in json.dumps(e.detail, ensure_ascii=False) for e in entries for w in ("手術", "航班")
        )


async def test_who_may_not_see_conversations_finds_nothing(console_settings: Settings) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "boss@example.com", "Boss", role="admin")
        await add_agent(app.db, "ann@example.com", "Ann")
        await chat(app, "u-th", TH, "th")
        async with httpx.AsyncClient(base_url=app.base, follow_redirects=False) as client:
            # Signed out, then signed in with the password but not yet the admin's second factor.
            for _ in range(2):
                page = await client.get("/console/conversations", params={"q": "ยกเลิก"})
                assert page.status_code in (303, 307, 401, 403) and TH[:10] not in page.text
                assert (
                    (await sign_in(client, "boss@example.com"))
                    .headers["location"]
                    .startswith("/console/login/code")
                )
        # Both roles may open every conversation today, so both find it.
        for email in ("ann@example.com", "boss@example.com"):
            session = await app.login(email)
            page = await session.client.get("/console/conversations", params={"q": "ยกเลิก"})
            assert page.text.count('data-testid="hit"') == 1
        assert await count(app.db, AuditEntry, AuditEntry.action == "conversation.search") == 2


async def test_admins_keep_labels_agents_put_them_on_conversations_and_filter_by_them(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "boss@example.com", "Boss", role="admin")
        await add_agent(app.db, "ann@example.com", "Ann")
        ja, th = await chat(app, "u-ja", JA, "ja"), await chat(app, "u-th", TH, "th")
        boss, ann = await app.login("boss@example.com"), await app.login("ann@example.com")
        assert (await ann.post("/console/admin/labels", {"name": "VIP", "colour": "red"})).status_code == 403
        bad = await boss.post("/console/admin/labels", {"name": "VIP", "colour": "url(evil)"})
        assert bad.status_code == 400
        for name, colour in (("VIP", "purple"), ("Refund", "orange")):
            assert (
                await boss.post("/console/admin/labels", {"name": name, "colour": colour})
            ).status_code == 303
        assert (await boss.post("/console/admin/labels", {"name": "VIP", "colour": "red"})).status_code == 409
        async with app.db.read() as s:
            labels = {label.name: label.id for label in (await s.execute(select(Label))).scalars()}
        both = [str(labels["VIP"]), str(labels["Refund"])]
        response = await ann.client.post(
            f"/console/conversations/{ja}/labels", data={"csrf": ann.csrf, "label": both}
        )
        assert response.status_code == 303
        assert await count(app.db, ConversationLabel, ConversationLabel.conversation_id == ja) == 2
        page = await ann.client.get(f"/console/conversations/{ja}")
        assert 'class="label label-purple"' in page.text and "VIP" in page.text
        # The queue shows a waiting conversation's labels too.
        async with app.db.write() as s:
            await open_ticket(s, ja, "human", "normal", None, None)
        queue = (await ann.client.get("/console/api/queue")).json()["tickets"]
        assert [t["labels"] for t in queue] == [
            [{"name": "Refund", "colour": "orange"}, {"name": "VIP", "colour": "purple"}]
        ]
        listed = await ann.client.get("/console/conversations", params={"label": labels["Refund"]})
        rows = re.findall(r'data-testid="conversation-row" data-conversation="(\d+)"', listed.text)
        assert rows == [str(ja)]
        everything = await ann.client.get("/console/conversations")
        assert re.findall(r'data-testid="conversation-row" data-conversation="(\d+)"', everything.text) == [
            str(th),
            str(ja),
        ]
        # One label taken off again; then the label itself deleted by an admin.
        await ann.client.post(
            f"/console/conversations/{ja}/labels", data={"csrf": ann.csrf, "label": both[:1]}
        )
        assert await count(app.db, ConversationLabel, ConversationLabel.conversation_id == ja) == 1
        assert (await boss.post(f"/console/admin/labels/{labels['VIP']}/delete")).status_code == 303
        assert await count(app.db, ConversationLabel) == 0
        actions = {"label.create", "label.delete", "conversation.labels"}
        assert await count(app.db, AuditEntry, AuditEntry.action.in_(actions)) == 5


async def test_notes_on_the_customer_show_on_the_customer_and_the_conversation(
    console_settings: Settings,
) -> None:
    async with running(console_settings) as app:
        await add_agent(app.db, "ann@example.com", "Ann")
        conv = await chat(app, "u-ja", JA, "ja")
        customer_id, _ = await seed_customer(app.db)
        await link(app.db, "webchat", "u-ja", customer_id)
        ann = await app.login("ann@example.com")
        note = "Prefers an interpreter in the room <b>always</b>"
        back = f"/console/conversations/{conv}"
        response = await ann.post(f"/console/customers/{customer_id}/notes", {"text": note, "back": back})
        assert response.status_code == 303 and response.headers["location"] == back
        evil = await ann.post(
            f"/console/customers/{customer_id}/notes", {"text": "x", "back": "https://evil"}
        )
        assert evil.headers["location"] == f"/console/customers/{customer_id}"
        escaped = "Prefers an interpreter in the room &lt;b&gt;always&lt;/b&gt;"
        assert escaped in (await ann.client.get(f"/console/customers/{customer_id}")).text
        assert escaped in (await ann.client.get(back)).text
        async with app.db.read() as s:
            audit = (
                (await s.execute(select(AuditEntry).where(AuditEntry.action == "customer.note")))
                .scalars()
                .all()
            )
        assert len(audit) == 2 and all("interpreter" not in json.dumps(a.detail) for a in audit)
        assert await count(app.db, CustomerNote, CustomerNote.customer_id == customer_id) == 2
        async with app.db.read() as s:
            exported = await export_customer(s, customer_id)
        assert exported is not None and [n["text"] for n in exported["notes"]] == [note, "x"]
        # Erasing the customer (anonymize keeps the row, for the bookings) takes the notes too.
        async with app.db.write() as s:
            await erase_customer(s, customer_id, "anonymize", dt.datetime.now(dt.UTC))
        assert await count(app.db, CustomerNote) == 0


async def test_unknown_or_malformed_parameters_are_dropped_not_passed_on(sqlite_settings: Settings) -> None:
    async with running(sqlite_settings) as app:
        await add_agent(app.db, "ann@example.com", "Ann")
        conv = await chat(app, "u-th", TH, "th")
        ann = await app.login("ann@example.com")
        junk = {
            "channel": "fax",
            "locale": "xx",
            "status": "deleted",
            "label": "1 OR 1=1",
            "agent": "-",
            "from": "yesterday",
            "to": "2026-13-45",
            "linked": "maybe",
            "after": "not-a-cursor",
            "before": "x",
        }
        page = await ann.client.get("/console/conversations", params=junk)
        assert page.status_code == 200
        assert re.findall(r'data-testid="conversation-row" data-conversation="(\d+)"', page.text) == [
            str(conv)
        ]
        # A day range in JST that ends before the conversation began finds nothing.
        page = await ann.client.get(
            "/console/conversations", params={"from": "2020-01-01", "to": "2020-01-02"}
        )
        assert 'id="no-rows"' in page.text
