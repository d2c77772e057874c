"""Telegram by long polling: getUpdates in the app's background task, into the same engine and inbox."""

from __future__ import annotations

from bot.config import Settings
from storage.models import InboxEvent, OutboxMessage
from tests.fakes.telegram_api import CHAT_ID, now, run_fake_telegram, telegram_app, update_from
from tests.support.wait import eventually

MENU = "How can I help you?"


async def test_a_text_by_polling_is_answered(settings: Settings) -> None:
    async with telegram_app(settings, polling=True) as tg:
        await tg.text("hello")
        await tg.settled()
        assert tg.fake.texts(CHAT_ID)[-1] == MENU
        first = tg.fake.calls_of("getUpdates")[0].params
        assert first["allowed_updates"] == ["message", "edited_message", "callback_query", "my_chat_member"]
        assert int(first["timeout"]) > 0


async def test_a_press_by_polling_is_answered_and_acted_on(settings: Settings) -> None:
    async with telegram_app(settings, polling=True) as tg:
        await tg.text("hello")
        await tg.settled()
        await tg.press("Talk to a person")
        await tg.settled()
        # The handoff notice, then the line about when the team answers (bot.dialogs.handoff).
        assert tg.fake.texts(CHAT_ID)[-2].startswith("Thank you. I have asked a person")
        assert len(tg.fake.calls_of("answerCallbackQuery")) == 1


async def test_an_update_handed_out_again_is_answered_once(settings: Settings) -> None:
    async with telegram_app(settings, polling=True) as tg:
        update = update_from(
            "text_message", update_id=tg.new_id(), text="hello", date=now(), language_code="en"
        )
        await tg.deliver(update)
        await tg.settled()
        answered = tg.fake.texts(CHAT_ID)
        # Telegram may hand an update out again (ids can even restart): the inbox knows it.
        await tg.deliver(update)
        await tg.settled()
        assert await tg.count(InboxEvent) == 1
        assert await tg.count(OutboxMessage) == 1
        assert tg.fake.texts(CHAT_ID) == answered


async def test_polling_removes_a_webhook_and_survives_getupdates_errors(settings: Settings) -> None:
    async with telegram_app(settings, polling=True) as tg:
        await eventually(lambda: tg.fake.calls_of("getUpdates"))
        assert tg.fake.calls_of("deleteWebhook")
        tg.fake.fail("getUpdates", 502, times=2)
        await tg.text("hello")
        await tg.settled()
        assert tg.fake.texts(CHAT_ID)[-1] == MENU


async def test_shutdown_stops_polling_and_confirms_what_was_stored(settings: Settings) -> None:
    async with run_fake_telegram() as fake:
        fake.webhook_url = "https://old.example/webhooks/telegram"
        async with telegram_app(settings, polling=True, fake=fake) as tg:
            await tg.text("hello")
            await tg.settled()
            last_id = tg.fake.max_offset - 1
        # The app is down: no poll is left running, and Telegram was told the update was stored.
        calls = len(fake.calls_of("getUpdates"))
        last = fake.calls_of("getUpdates")[-1].params
        assert (last["timeout"], int(last["offset"])) == ("0", last_id + 1)  # the confirmation
        assert fake.pending_updates() == 0
        assert fake.max_offset == last_id + 1
        assert fake.webhook_url is None
        # A restart does not see the stored update again.
        async with telegram_app(settings, polling=True, fake=fake) as tg2:
            await eventually(lambda: len(fake.calls_of("getUpdates")) > calls)
            assert await tg2.count(InboxEvent) == 1
            assert await tg2.count(OutboxMessage) == 1
