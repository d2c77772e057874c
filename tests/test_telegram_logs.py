"""The bot token is part of every Bot API URL: it must never reach a log line, even with the HTTP
client's and PTB's loggers turned up to DEBUG."""

from __future__ import annotations

import logging

import pytest

from bot.config import Settings
from bot.handlers.telegram.client import REDACTED
from tests.fakes.telegram_api import CHAT_ID, run_fake_telegram, telegram_app, update_from

NOISY = (
    "httpx",
    "httpcore",
    "httpcore.http11",
    "httpcore.connection",
    "telegram",
    "telegram.Bot",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
)


async def test_the_token_never_appears_in_a_log_line(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with run_fake_telegram() as fake:
        secret_part = fake.token.split(":", 1)[1]
        async with telegram_app(settings, polling=True, fake=fake) as tg:
            # Someone turns the HTTP stack's logging up after start: the filter still holds.
            for name in NOISY:
                caplog.set_level(logging.DEBUG, logger=name)
            await tg.text("hello")
            await tg.settled()
            await tg.press("Talk to a person")
            await tg.settled()
            fake.fail("sendMessage", 429, retry_after=1)
            fake.fail("getUpdates", 502)
            await tg.deliver(update_from("photo", update_id=tg.new_id(), language_code="en"))
            await tg.settled()
            fake.blocked_chats.add(str(CHAT_ID))
            await tg.text("still there?")
            await tg.settled()
        # A wrong token, too (Telegram answers 401 on the token's URL).
        fake.token = "000:another-token"
        async with telegram_app(settings, fake=fake) as tg2:
            fake.token = "000:another-token-refused"
            await tg2.deliver(update_from("text_message", update_id=tg2.new_id()))
            await tg2.settled()

    lines = [r.getMessage() for r in caplog.records]
    for text in (caplog.text, *lines):
        assert fake.token not in text
        assert secret_part not in text
        assert "another-token" not in text
    # ... and the test did see the lines that would have carried it.
    assert any(REDACTED in line for line in lines), "the HTTP client's request lines were not captured"
