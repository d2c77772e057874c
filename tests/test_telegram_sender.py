"""TelegramSender through the real python-telegram-bot against the fake Bot API (no database)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.channels import Delivery, Failed, Retry, SendResult, Sent, Unreachable
from bot.config import Settings
from bot.events import ConversationKey
from bot.handlers.telegram.client import make_bot
from bot.handlers.telegram.ratelimit import FloodLimiter
from bot.handlers.telegram.sender import TelegramSender
from bot.replies import Rendered, RenderedOption
from tests.fakes.telegram_api import FakeTelegram, run_fake_telegram

CHAT = "5550001"


def settings(fake: FakeTelegram, tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        telegram_bot_token=SecretStr(fake.token),
        telegram_api_base=fake.base_url,
    )


def delivery(*messages: Rendered, parts_sent: int = 0, chat: str = CHAT) -> Delivery:
    return Delivery(
        outbox_id=1,
        key=ConversationKey("telegram", chat),
        messages=messages,
        parts_sent=parts_sent,
        idempotency_key="k",
        attempts=1,
        source="bot",
        created_at=dt.datetime.now(dt.UTC),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with run_fake_telegram() as f:
        yield f


@pytest.fixture
async def sender(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramSender]:
    # Generous flood limits: these tests are about answers, not pacing.
    s = TelegramSender(make_bot(settings(fake, tmp_path)), FloodLimiter(100, 100, 100, 100))
    yield s
    await s.close()


async def test_choices_go_out_as_an_inline_keyboard(fake: FakeTelegram, sender: TelegramSender) -> None:
    msg = Rendered(
        "choices",
        "What would you like to do?",
        (RenderedOption("change", "Change a booking"), RenderedOption("menu", "Menu")),
        "3",
    )
    assert await sender.send(delivery(Rendered("text", "Hello"), msg)) == Sent(2)
    sent = fake.sent(CHAT)
    assert [m["text"] for m in sent] == ["Hello", "What would you like to do?"]
    assert "reply_markup" not in sent[0]
    assert sent[1]["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Change a booking", "callback_data": "c:3:change"}],
            [{"text": "Menu", "callback_data": "c:3:menu"}],
        ]
    }
    assert [c.method for c in fake.calls] == ["getMe", "sendMessage", "sendMessage"]


async def test_a_calendar_is_accepted_by_the_api(fake: FakeTelegram, sender: TelegramSender) -> None:
    msg = Rendered(
        "date_picker",
        "Which day?",
        (RenderedOption("menu", "Menu"),),
        "12",
        min_date="2026-03-10",
        max_date="2026-06-30",
    )
    assert await sender.send(delivery(msg)) == Sent(1)
    [sent] = fake.sent(CHAT)
    assert len(sent["reply_markup"]["inline_keyboard"]) >= 7


async def test_429_is_a_retry_after_what_telegram_asked(fake: FakeTelegram, sender: TelegramSender) -> None:
    fake.fail("sendMessage", 429, retry_after=2)
    result = await sender.send(delivery(Rendered("text", "one"), Rendered("text", "two")))
    assert result == Retry("RetryAfter: Flood control exceeded. Retry in 0:00:02", 0, after=2.0, status=429)
    assert fake.texts(CHAT) == []
    assert await sender.send(delivery(Rendered("text", "one"), Rendered("text", "two"))) == Sent(2)
    assert fake.texts(CHAT) == ["one", "two"]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_a_retry(fake: FakeTelegram, sender: TelegramSender, status: int) -> None:
    fake.fail("sendMessage", status)
    result = await sender.send(delivery(Rendered("text", "hi")))
    assert isinstance(result, Retry) and result.parts_sent == 0 and result.after is None


async def test_a_blocked_user_is_unreachable_at_once(fake: FakeTelegram, sender: TelegramSender) -> None:
    fake.blocked_chats.add(CHAT)
    result = await sender.send(delivery(Rendered("text", "one"), Rendered("text", "two")))
    assert result == Unreachable("Forbidden: Forbidden: bot was blocked by the user", 0)
    assert len(fake.calls_of("sendMessage")) == 1


async def test_a_refused_message_is_failed_not_retried(fake: FakeTelegram, sender: TelegramSender) -> None:
    fake.fail("sendMessage", 400, description="Bad Request: can't parse entities")
    result = await sender.send(delivery(Rendered("text", "hi")))
    assert isinstance(result, Failed) and result.status == 400


async def test_a_deleted_chat_is_unreachable(fake: FakeTelegram, sender: TelegramSender) -> None:
    fake.fail("sendMessage", 400, description="Bad Request: chat not found")
    assert isinstance(await sender.send(delivery(Rendered("text", "hi"))), Unreachable)


async def test_a_retry_resumes_after_the_last_confirmed_part(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    long_text = "\n".join(f"line {i:04d} " + "x" * 40 for i in range(200))  # about 10,000 characters
    d = delivery(Rendered("text", long_text), Rendered("text", "after"))
    # The second piece fails: the first was confirmed, so the retry starts at the second.
    fake.fail("sendMessage", 500, skip=1)
    first = await sender.send(d)
    assert isinstance(first, Retry) and first.parts_sent == 1
    again = await sender.send(delivery(*d.messages, parts_sent=first.parts_sent))
    assert again == Sent(4)
    texts = fake.texts(CHAT)
    assert len(texts) == 4 and len(set(texts)) == 4
    assert "\n".join(texts[:3]) == long_text and texts[3] == "after"


async def test_a_timeout_can_duplicate_only_the_message_in_flight(fake: FakeTelegram, tmp_path: Path) -> None:
    bot = make_bot(settings(fake, tmp_path), timeout=0.3)
    sender = TelegramSender(bot, FloodLimiter(100, 100, 100, 100))
    try:
        msgs = (Rendered("text", "one"), Rendered("text", "two"), Rendered("text", "three"))
        # Telegram takes the second message, but its answer comes after our timeout.
        fake.answer_late("sendMessage", 1.0, skip=1)
        first = await sender.send(delivery(*msgs))
        assert isinstance(first, Retry) and first.parts_sent == 1 and first.error.startswith("TimedOut")
        assert await sender.send(delivery(*msgs, parts_sent=1)) == Sent(3)
        assert fake.texts(CHAT) == ["one", "two", "two", "three"]
    finally:
        await sender.close()


async def test_a_long_row_stops_within_its_budget_and_resumes(fake: FakeTelegram, tmp_path: Path) -> None:
    # A per-chat pace of 20/s and a budget of 0.1 s: the row cannot finish in one attempt.
    sender = TelegramSender(make_bot(settings(fake, tmp_path)), FloodLimiter(20, 1, 100, 100), budget=0.1)
    try:
        msgs = tuple(Rendered("text", f"part {i}") for i in range(8))
        results: list[SendResult] = []
        done = 0
        while done < 8 and len(results) < 20:
            result = await sender.send(delivery(*msgs, parts_sent=done))
            results.append(result)
            done = result.parts_sent
        assert isinstance(results[0], Retry) and 0 < results[0].parts_sent < 8
        assert results[-1] == Sent(8)
        assert fake.texts(CHAT) == [f"part {i}" for i in range(8)]
    finally:
        await sender.close()


def test_flood_limiter_paces_one_chat_and_the_whole_bot() -> None:
    now = [0.0]
    limiter = FloodLimiter(
        per_chat_rate=1, per_chat_burst=3, global_rate=30, global_burst=30, clock=lambda: now[0]
    )
    # A chat's short burst goes at once, then one a second.
    assert [limiter.reserve("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.reserve("a") == pytest.approx(1.0)
    assert limiter.reserve("a") == pytest.approx(2.0)
    # Other chats are not held up by "a", until the bot-wide 30/s is used up.
    waits = [limiter.reserve(f"chat{i}") for i in range(25)]
    assert waits[:25] == [0] * 25
    assert limiter.reserve("late") > 0
    now[0] = 10.0
    assert limiter.reserve("a") == 0
    assert limiter.reserve("late") == 0


def test_flood_limiter_forgets_idle_chats() -> None:
    now = [0.0]
    limiter = FloodLimiter(clock=lambda: now[0], max_chats=10)
    for i in range(50):
        limiter.reserve(str(i))
        now[0] += 5
    assert len(limiter._chats) <= 11
