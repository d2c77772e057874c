"""LINE end to end: signed webhooks over HTTP into the real app (engine, outbox, delivery worker), the
answers through the real line-bot-sdk client into the fake LINE API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from bot.config import Settings
from storage.db import Database
from storage.models import ChannelIdentity, Conversation, InboxEvent, OutboxMessage, TranscriptMessage
from tests.fakes.line_api import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    FIXTURES,
    FakeLine,
    event_from,
    run_fake_line,
    sign,
    webhook_body,
)
from tests.support.server import serve_app
from tests.support.wait import eventually

USER = "U4af4980629a1b2c3d4e5f60718293a4b"
POLITE = "Sorry, I can only read text messages and button presses here."
MENU = "How can I help you?"


@dataclass
class LineBot:
    fake: FakeLine
    http: httpx.AsyncClient
    db: Database

    async def post(self, body: bytes, signature: str | None = "sign", **headers: str) -> httpx.Response:
        sent = {"content-type": "application/json", **headers}
        if signature == "sign":
            sent["x-line-signature"] = sign(body)
        elif signature is not None:
            sent["x-line-signature"] = signature
        return await self.http.post("/webhooks/line", content=body, headers=sent)

    async def send(self, *events: dict[str, Any]) -> httpx.Response:
        response = await self.post(webhook_body(*events))
        assert response.status_code == 200, response.text
        return response

    def text(self, text: str, user: str = USER, **kw: Any) -> dict[str, Any]:
        kw.setdefault("reply_token", self.fake.issue_reply_token(user))
        return event_from("text", user_id=user, message__text=text, **kw)

    async def count(self, model: Any, *where: Any) -> int:
        async with self.db.read() as s:
            return int((await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one())

    async def outbox_settled(self) -> bool:
        async with self.db.read() as s:
            rows = (await s.execute(select(OutboxMessage.status))).scalars().all()
        return bool(rows) and all(status in ("sent", "dead", "cancelled") for status in rows)


@pytest.fixture
def line_bot(
    settings_for: Callable[..., Settings],
) -> Callable[..., contextlib.AbstractAsyncContextManager[LineBot]]:
    @contextlib.asynccontextmanager
    async def start(db_url: str, **overrides: Any) -> AsyncIterator[LineBot]:
        async with run_fake_line() as fake:
            settings = settings_for(
                db_url,
                line_channel_secret=CHANNEL_SECRET,
                line_channel_access_token=ACCESS_TOKEN,
                line_api_base=fake.base_url,
                **overrides,
            )
            db = Database(db_url)
            try:
                async with serve_app(settings) as base, httpx.AsyncClient(base_url=base, timeout=10) as http:
                    yield LineBot(fake, http, db)
            finally:
                await db.dispose()

    return start


async def test_the_connectivity_check_is_answered(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        body = (FIXTURES / "connectivity_check.json").read_bytes()
        assert (await bot.post(body)).status_code == 200
        assert await bot.count(InboxEvent) == 0


async def test_a_text_is_answered_by_reply(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        token = bot.fake.issue_reply_token(USER)
        await bot.send(bot.text("hello", reply_token=token))
        await bot.fake.wait_for(lambda: bool(bot.fake.delivered))
        [request] = bot.fake.of("reply")
        assert request.body["replyToken"] == token
        menu = bot.fake.messages(USER)[-1]
        assert menu["text"].startswith(MENU)
        assert {i["action"]["type"] for i in menu["quickReply"]["items"]} == {"postback"}


async def test_same_webhook_twice_and_redelivered_is_stored_once_and_answered_once(
    db_url: str, line_bot: Any
) -> None:
    async with line_bot(db_url) as bot:
        event = bot.text("hello")
        body = webhook_body(event)
        assert (await bot.post(body)).status_code == 200
        assert (await bot.post(body)).status_code == 200
        redelivered = {**event, "deliveryContext": {"isRedelivery": True}}
        assert (await bot.post(webhook_body(redelivered))).status_code == 200
        await eventually(bot.outbox_settled)
        assert await bot.count(InboxEvent) == 1
        assert await bot.count(OutboxMessage) == 1
        assert await bot.count(TranscriptMessage, TranscriptMessage.author == "customer") == 1
        assert len(bot.fake.of("reply")) + len(bot.fake.of("push")) == 1


@pytest.mark.parametrize("forgery", ["missing", "other secret", "garbage", "one byte changed", "empty"])
async def test_forged_or_missing_signature_is_401_and_nothing_is_stored(
    db_url: str, line_bot: Any, forgery: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with line_bot(db_url) as bot:
        body = webhook_body(bot.text("my passport number is TK1234567"))
        if forgery == "missing":
            response = await bot.post(body, signature=None)
        elif forgery == "other secret":
            response = await bot.post(body, signature=sign(body, "not-the-channel-secret"))
        elif forgery == "garbage":
            response = await bot.post(body, signature="AAAA$$$")
        elif forgery == "empty":
            response = await bot.post(body, signature="")
        else:
            i = body.index(b"TK1234567")
            changed = body[:i] + b"X" + body[i + 1 :]
            response = await bot.post(changed, signature=sign(body))
        assert response.status_code == 401
        assert await bot.count(InboxEvent) == 0
        assert await bot.count(Conversation) == 0
        assert "TK1234567" not in caplog.text
    assert bot.fake.requests == []


async def test_signature_header_name_in_any_case(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        for name in ("X-LINE-SIGNATURE", "x-line-signature", "X-Line-Signature"):
            body = webhook_body(bot.text("hi"))
            response = await bot.http.post("/webhooks/line", content=body, headers={name: sign(body)})
            assert response.status_code == 200
        assert await bot.count(InboxEvent) == 3


async def test_bad_bodies_are_refused_and_change_nothing(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url, max_body_bytes=4096) as bot:
        big = webhook_body(bot.text("x" * 5000))
        assert (await bot.post(big)).status_code == 413
        assert (await bot.post(b'{"events": [')).status_code == 400
        assert (await bot.post(b'{"events": [], "x": "\xff"}')).status_code == 400
        assert (await bot.post(b'{"destination": "U1"}')).status_code == 400
        assert (await bot.http.get("/webhooks/line")).status_code == 405
        assert await bot.count(InboxEvent) == 0


async def test_a_signed_body_nested_too_deep_is_a_400_not_a_500(db_url: str, line_bot: Any) -> None:
    # json.loads raised RecursionError past ~1,000 levels: the request failed and LINE redelivered it.
    async with line_bot(db_url) as bot:
        deep = b'{"events": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
        assert (await bot.post(deep)).status_code == 400
        assert await bot.count(InboxEvent) == 0


async def test_a_lone_surrogate_in_a_signed_text_is_kept_as_the_replacement_character(
    db_url: str, line_bot: Any
) -> None:
    # "\\ud800" is valid JSON; no database can store it, so the event failed with a 500 forever.
    async with line_bot(db_url) as bot:
        body = webhook_body(bot.text("PLACEHOLDER")).replace(b"PLACEHOLDER", b"menu \\ud800" + b"x" * 6000)
        assert (await bot.post(body)).status_code == 200
        await eventually(bot.outbox_settled)
        async with bot.db.read() as s:
            said = (
                await s.execute(select(TranscriptMessage.text).where(TranscriptMessage.author == "customer"))
            ).scalar_one()
        assert said.startswith("menu \ufffdxxx") and len(said) == 5000


async def test_sticker_image_unknown_and_text_in_one_batch(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        fake = bot.fake
        events = [
            event_from("sticker", user_id=USER, reply_token=fake.issue_reply_token(USER)),
            event_from("image", user_id=USER, reply_token=fake.issue_reply_token(USER)),
            event_from("unknown_event", user_id=USER, reply_token=fake.issue_reply_token(USER)),
            {"type": "message", "broken": True},
            bot.text("menu"),
        ]
        await bot.send(*events)
        await eventually(bot.outbox_settled)
        assert await bot.count(InboxEvent) == 4
        assert await bot.count(OutboxMessage, OutboxMessage.status == "sent") == 4
        texts = fake.texts(USER)
        # A sticker first: a friendly thanks, then the greeting and menu; the image is thanked for
        # (and fetched later: bot.attachments); only the unknown event gets the polite notice.
        assert texts[0].startswith("Thank you for the sticker!")
        assert texts[1].startswith("Hello!")
        assert "Thank you for the photo. A person from our team will look at it." in texts
        assert texts.count(POLITE) == 1
        assert texts[-1].startswith(MENU)
        assert len(fake.of("reply")) == 4 and fake.of("push") == []


async def test_429_then_200_delivers_one_message(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        bot.fake.fail("reply", 429, retry_after=1)
        await bot.send(bot.text("menu"))
        await eventually(bot.outbox_settled)
        assert [r.status for r in bot.fake.of("reply")] == [429, 200]
        assert [t.startswith(MENU) for t in bot.fake.texts(USER)] == [True]


async def test_expired_reply_token_is_pushed_with_the_rows_retry_key(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        two_minutes_ago = int(time.time() * 1000) - 120_000
        await bot.send(bot.text("menu", timestamp_ms=two_minutes_ago))
        await eventually(bot.outbox_settled)
        assert bot.fake.of("reply") == []
        [push] = bot.fake.of("push")
        async with bot.db.read() as s:
            row = (await s.execute(select(OutboxMessage))).scalar_one()
        assert push.headers["x-line-retry-key"] == row.idempotency_key
        assert push.body["to"] == USER


async def test_invalid_reply_token_falls_back_to_push(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        await bot.send(bot.text("menu", reply_token="used-elsewhere-0123456789"))
        await eventually(bot.outbox_settled)
        assert [(r.endpoint, r.status) for r in bot.fake.requests] == [("reply", 400), ("push", 200)]
        assert [t.startswith(MENU) for t in bot.fake.texts(USER)] == [True]


async def test_a_rejected_message_is_dead_and_visible_without_personal_data(
    db_url: str, line_bot: Any
) -> None:
    async with line_bot(db_url) as bot:
        bot.fake.fail("reply", 400, "The request body has 1 error(s)")
        await bot.send(bot.text("menu"))
        await eventually(bot.outbox_settled)
        async with bot.db.read() as s:
            row = (await s.execute(select(OutboxMessage))).scalar_one()
        assert row.status == "dead"
        assert row.last_error is not None and USER not in row.last_error
        assert bot.fake.delivered == []


async def test_follow_greets_in_the_profile_language_and_unfollow_stops_sending(
    db_url: str, line_bot: Any
) -> None:
    async with line_bot(db_url) as bot:
        bot.fake.add_profile(USER, "さくら", "ja")
        await bot.send(event_from("follow", user_id=USER, reply_token=bot.fake.issue_reply_token(USER)))
        await eventually(bot.outbox_settled)
        async with bot.db.read() as s:
            identity = (await s.execute(select(ChannelIdentity))).scalar_one()
            conversation = (await s.execute(select(Conversation))).scalar_one()
        assert (identity.locale_hint, identity.display_name) == ("ja", "さくら")
        assert conversation.locale == "ja"
        assert len(bot.fake.texts(USER)) == 2

        await bot.send(event_from("unfollow", user_id=USER))
        async with bot.db.read() as s:
            identity = (await s.execute(select(ChannelIdentity))).scalar_one()
        assert identity.unreachable_at is not None


async def test_standby_is_stored_and_not_answered(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        await bot.send(event_from("standby_text", user_id=USER))
        assert await bot.count(InboxEvent) == 1
        assert await bot.count(TranscriptMessage) == 1
        assert await bot.count(OutboxMessage) == 0


async def test_group_events_are_skipped(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        await bot.send(event_from("group_text"), event_from("group_join"))
        assert await bot.count(InboxEvent) == 0


async def test_a_slow_answer_shows_the_loading_animation(sqlite_url: str, line_bot: Any) -> None:
    async with line_bot(sqlite_url) as bot:
        # Another connection holds SQLite's write lock, so the engine has to wait for it.
        async with bot.db.write() as s:
            await s.execute(text("UPDATE conversations SET version = version WHERE 1 = 0"))
            post = asyncio.create_task(bot.send(bot.text("menu")))
            await bot.fake.wait_for(lambda: bool(bot.fake.of("loading")))
        await post
        await eventually(bot.outbox_settled)
        assert bot.fake.of("loading")[0].body["chatId"] == USER
        assert [t.startswith(MENU) for t in bot.fake.texts(USER)] == [True]


async def test_a_quick_reply_postback_is_the_button_pressed(db_url: str, line_bot: Any) -> None:
    async with line_bot(db_url) as bot:
        await bot.send(bot.text("menu"))
        await bot.fake.wait_for(lambda: bool(bot.fake.delivered))
        actions = [i["action"] for i in bot.fake.messages(USER)[-1]["quickReply"]["items"]]
        [button] = [a for a in actions if a["displayText"] == "Talk to a person"]
        token = bot.fake.issue_reply_token(USER)
        await bot.send(event_from("postback", user_id=USER, reply_token=token, postback__data=button["data"]))
        # The handoff notice, then the line about when the team answers (bot.dialogs.handoff).
        await bot.fake.wait_for(lambda: len(bot.fake.texts(USER)) == 3)
        assert bot.fake.texts(USER)[1].startswith("Thank you. I have asked a person")
        async with bot.db.read() as s:
            conversation = (await s.execute(select(Conversation))).scalar_one()
        assert conversation.mode == "queued"


async def test_events_that_cannot_be_stored_get_500_so_line_redelivers(
    tmp_path: Any, settings_for: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    # A database without tables: every engine.handle fails, as it would with the database down.
    broken = settings_for(
        f"sqlite+aiosqlite:///{tmp_path}/empty.db",
        line_channel_secret=CHANNEL_SECRET,
        line_channel_access_token=ACCESS_TOKEN,
        line_api_base="http://127.0.0.1:9",
    )
    async with serve_app(broken) as base, httpx.AsyncClient(base_url=base) as http:
        body = webhook_body(event_from("text", user_id=USER, message__text="my secret plan"))
        response = await http.post("/webhooks/line", content=body, headers={"X-Line-Signature": sign(body)})
    assert response.status_code == 500
    assert "my secret plan" not in caplog.text and USER not in caplog.text
