"""Telegram end to end by webhook: updates over HTTP into the real app (engine, outbox, delivery
worker); answers through the real python-telegram-bot client into the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.i18n import Translator, msg
from storage.models import ChannelIdentity, InboxEvent, OutboxMessage, Ticket, TranscriptMessage
from tests.fakes.telegram_api import CHAT_ID, TelegramHarness, fixture, now, telegram_app, update_from

POLITE = "Sorry, I can only read text messages and button presses here."
MENU = "How can I help you?"
STALE = "That button belongs to an earlier message. Here is where we are now:"


@pytest.fixture
async def tg(settings: Settings) -> AsyncIterator[TelegramHarness]:
    async with telegram_app(settings) as harness:
        yield harness


async def test_a_text_is_answered_with_an_inline_keyboard(tg: TelegramHarness) -> None:
    await tg.text("hello")
    await tg.settled()
    texts = tg.fake.texts(CHAT_ID)
    assert texts[-1] == MENU
    keyboard = tg.last_keyboard()["reply_markup"]["inline_keyboard"]
    assert "Talk to a person" in [b["text"] for row in keyboard for b in row]
    assert all(len(b["callback_data"].encode()) <= 64 for row in keyboard for b in row)


async def test_the_senders_language_and_name_are_kept_and_answered_in(tg: TelegramHarness) -> None:
    # The fixture's sender has language_code "zh-hans"; /start has no words to tell the language by.
    await tg.deliver(update_from("start_payload", update_id=tg.new_id(), text="/start", date=now()))
    await tg.settled()
    assert tg.fake.texts(CHAT_ID)[-1] == Translator("zh_Hans").gettext(msg(MENU))
    async with tg.db.read() as s:
        identity = (await s.execute(select(ChannelIdentity))).scalar_one()
    assert (identity.user_id, identity.display_name, identity.locale_hint) == (
        str(CHAT_ID),
        "Mei Chen",
        "zh_Hans",
    )


async def test_the_same_update_twice_is_stored_once_and_answered_once(tg: TelegramHarness) -> None:
    update = update_from("text_message", update_id=tg.new_id(), text="hello", language_code="en")
    await tg.deliver(update)
    await tg.settled()
    sent = len(tg.fake.calls_of("sendMessage"))
    await tg.deliver(update)
    await tg.settled()
    assert await tg.count(InboxEvent) == 1
    assert await tg.count(OutboxMessage) == 1
    assert len(tg.fake.calls_of("sendMessage")) == sent


@pytest.mark.parametrize("secret", [None, "", "wrong", "test-webhook-secret_012345678", "x" * 300])
async def test_a_missing_or_wrong_secret_is_403_and_nothing_is_stored(
    tg: TelegramHarness, secret: str | None
) -> None:
    response = await tg.post(update_from("text_message", update_id=tg.new_id()), secret=secret)
    assert response.status_code == 403
    assert await tg.count(InboxEvent) == 0
    assert await tg.count(ChannelIdentity) == 0
    assert tg.fake.calls_of("sendMessage") == []


async def test_bad_bodies_are_refused_and_change_nothing(tg: TelegramHarness, settings: Settings) -> None:
    for body in (
        b"",
        b"not json",
        b"\xff\xfe{}",
        b"[]",
        b'{"message": {}}',
        b'{"update_id": "1"}',
        b'{"update_id": 1, "message": {"text": "no chat"}}',
    ):
        assert (await tg.post(body)).status_code == 400, body
    big = json.dumps({"update_id": 1, "message": {"text": "x" * settings.max_body_bytes}}).encode()
    assert (await tg.post(big)).status_code == 413
    assert await tg.count(InboxEvent) == 0


async def test_a_photo_and_an_edited_message_get_polite_answers(tg: TelegramHarness) -> None:
    await tg.text("hello")
    await tg.deliver(update_from("photo", update_id=tg.new_id(), date=now(), language_code="en"))
    await tg.deliver(update_from("edited_message", update_id=tg.new_id(), date=now(), language_code="en"))
    await tg.settled()
    # The photo is thanked for (and fetched later, bot.attachments); the edit is not something to act on.
    assert tg.fake.texts(CHAT_ID).count(POLITE) == 1
    assert "Thank you for the photo. A person from our team will look at it." in tg.fake.texts(CHAT_ID)
    assert await tg.count(InboxEvent) == 3


async def test_updates_the_bot_does_not_use_are_acknowledged_and_not_stored(tg: TelegramHarness) -> None:
    await tg.deliver(update_from("group_message", update_id=tg.new_id()))
    await tg.deliver({"update_id": tg.new_id(), "channel_post": {"weird": True}})
    assert await tg.count(InboxEvent) == 0


async def test_a_press_is_answered_marked_and_acted_on_once(tg: TelegramHarness) -> None:
    await tg.text("hello")
    await tg.settled()
    menu = tg.last_keyboard()
    await tg.press("Talk to a person", menu)
    await tg.settled()
    assert await tg.count(Ticket) == 1
    # The spinner stopped, and the keyboard became an inert mark of the choice.
    assert len(tg.fake.calls_of("answerCallbackQuery")) == 1
    marked = tg.fake.messages[menu["message_id"]]["reply_markup"]["inline_keyboard"]
    assert marked == [[{"text": "✓ Talk to a person", "callback_data": "x"}]]
    # A stale client copy of the same keyboard pressed again: answered, nothing done twice.
    await tg.press("Talk to a person", menu)
    await tg.settled()
    assert await tg.count(Ticket) == 1
    assert len(tg.fake.calls_of("answerCallbackQuery")) == 2


async def test_a_press_on_an_earlier_keyboard_is_answered_as_stale(tg: TelegramHarness) -> None:
    await tg.text("hello")
    await tg.settled()
    old_menu = tg.last_keyboard()
    old_token = old_menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[1]
    await tg.text("I want to cancel my booking")  # a new question: new buttons
    await tg.settled()
    assert tg.last_keyboard()["message_id"] != old_menu["message_id"]
    # A flow button on the earlier keyboard (the menu's own "talk to a person" works from anywhere).
    update = update_from(
        "callback_query",
        update_id=tg.new_id(),
        data=f"c:{old_token}:some-flow",
        message=old_menu,
        language_code="en",
    )
    update["callback_query"]["id"] = "stale-press"
    tg.presses.append("stale-press")
    await tg.deliver(update)
    await tg.settled()
    assert STALE in tg.fake.texts(CHAT_ID)
    assert await tg.count(Ticket) == 0
    assert {c.params["callback_query_id"] for c in tg.fake.calls_of("answerCallbackQuery")} == {"stale-press"}


async def test_an_inert_button_is_answered_and_stores_nothing(tg: TelegramHarness) -> None:
    await tg.text("hello")
    await tg.settled()
    stored = await tg.count(InboxEvent)
    message = tg.last_keyboard()
    update = update_from("callback_query", update_id=tg.new_id(), data="x", message=message)
    await tg.deliver(update)
    await tg.settled()
    assert await tg.count(InboxEvent) == stored
    assert len(tg.fake.calls_of("answerCallbackQuery")) == 1


async def test_429_with_retry_after_is_sent_after_the_wait_once(tg: TelegramHarness) -> None:
    tg.fake.fail("sendMessage", 429, retry_after=2)
    await tg.text("hello")
    await tg.settled()
    calls = tg.fake.calls_of("sendMessage")
    texts = tg.fake.texts(CHAT_ID)
    assert texts[-1] == MENU and len(set(texts)) == len(texts)
    assert len(calls) == len(texts) + 1  # the refused one, then each message once
    assert calls[1].at - calls[0].at >= 2.0


async def test_5xx_is_retried_until_it_goes_through(tg: TelegramHarness) -> None:
    tg.fake.fail("sendMessage", 502, times=2)
    await tg.text("hello")
    await tg.settled()
    texts = tg.fake.texts(CHAT_ID)
    assert texts[-1] == MENU and len(set(texts)) == len(texts)
    assert len(tg.fake.calls_of("sendMessage")) == len(texts) + 2


async def test_a_blocked_user_is_not_retried_and_marked_unreachable(tg: TelegramHarness) -> None:
    tg.fake.blocked_chats.add(str(CHAT_ID))
    await tg.text("hello")
    await tg.settled()
    assert len(tg.fake.calls_of("sendMessage")) == 1
    async with tg.db.read() as s:
        identity = (await s.execute(select(ChannelIdentity))).scalar_one()
        statuses = (await s.execute(select(OutboxMessage.status))).scalars().all()
    assert identity.unreachable_at is not None
    assert statuses == ["dead"]
    await tg.text("are you there?")
    await tg.settled()
    assert len(tg.fake.calls_of("sendMessage")) == 1


async def test_blocking_the_bot_marks_the_identity_and_start_brings_it_back(tg: TelegramHarness) -> None:
    await tg.text("hello")
    await tg.settled()
    await tg.deliver(update_from("my_chat_member_kicked", update_id=tg.new_id()))
    async with tg.db.read() as s:
        assert (await s.execute(select(ChannelIdentity.unreachable_at))).scalar_one() is not None
    sent = len(tg.fake.calls_of("sendMessage"))
    await tg.deliver(update_from("start_payload", update_id=tg.new_id(), language_code="en"))
    await tg.settled()
    async with tg.db.read() as s:
        assert (await s.execute(select(ChannelIdentity.unreachable_at))).scalar_one() is None
    assert len(tg.fake.calls_of("sendMessage")) > sent


async def test_fixture_updates_are_all_accepted(tg: TelegramHarness) -> None:
    for name in ("text_message", "start_payload", "sticker", "voice", "document", "video", "location"):
        update = fixture(name)
        update["update_id"] = tg.new_id()
        await tg.deliver(update)
    assert await tg.count(InboxEvent) == 7


@pytest.mark.parametrize(
    "update",
    [
        {"message": {"message_id": 1, "date": 1700000000, "text": "no chat"}},
        {"message": {"message_id": 1, "date": 1700000000, "chat": {"id": 5}, "text": "no chat type"}},
        {"callback_query": {"id": "q1", "chat_instance": "c", "data": "o=menu"}},
        {"my_chat_member": {"chat": {"id": 5, "type": "private"}, "date": 1700000000}},
        {
            "message": {
                "message_id": 1,
                "date": 1700000000,
                "chat": {"id": 5, "type": "private"},
                "photo": [{}],
            }
        },
    ],
)
async def test_an_update_missing_what_telegram_always_sends_is_acknowledged_not_a_500(
    tg: TelegramHarness, update: dict[str, Any]
) -> None:
    # PTB fills a missing required field with None; reading it failed the request, and Telegram
    # redelivers a failed update for a day.
    response = await tg.post({"update_id": tg.new_id(), **update})
    assert response.status_code in (200, 400)
    assert await tg.count(InboxEvent) == 0


async def test_a_lone_surrogate_and_deep_nesting_are_answered_not_a_500(tg: TelegramHarness) -> None:
    body = json.dumps(
        update_from("text_message", update_id=tg.new_id(), text="PLACEHOLDER", language_code="en")
    )
    response = await tg.post(body.replace("PLACEHOLDER", "hello \\ud800").encode())
    assert response.status_code == 200
    async with tg.db.read() as s:
        texts = (
            await s.execute(select(TranscriptMessage.text).where(TranscriptMessage.author == "customer"))
        ).all()
    assert [t for (t,) in texts] == ["hello \ufffd"]
    deep = b'{"update_id": 5, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert (await tg.post(deep)).status_code == 400
