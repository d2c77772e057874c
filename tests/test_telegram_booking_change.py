"""A full booking change on Telegram, by webhook and by long polling: inline keyboards, the month
calendar (with a page turn), linking by booking reference, and the request filed once."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.handlers.telegram import callbacks
from bot.i18n import JST
from storage.db import Database
from storage.models import Booking, Customer, InboxEvent, Request, Ticket
from tests.fakes.telegram_api import CHAT_ID, TelegramHarness, now, telegram_app, update_from
from tests.support.wait import eventually

REFERENCE = "TG-7Q2M"
BIRTH = dt.date(1990, 4, 1)
STALE = "That button belongs to an earlier message. Here is where we are now:"


async def seed(database_url: str) -> None:
    today = dt.datetime.now(JST).date()
    db = Database(database_url)
    try:
        async with db.write() as s:
            customer = Customer(full_name="Mei Chen", birth_date=BIRTH, locale="en", no_show_count=0)
            s.add(customer)
            await s.flush()
            s.add(
                Booking(
                    reference=REFERENCE,
                    customer_id=customer.id,
                    clinic="Shibuya Skin Clinic",
                    kind="treatment",
                    service_at=dt.datetime.combine(today + dt.timedelta(days=20), dt.time(14), JST),
                    fee_total_jpy=40_000,
                    status="confirmed",
                )
            )
    finally:
        await db.dispose()


def keyboard_texts(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


async def press_day(tg: TelegramHarness, day: dt.date) -> int:
    """Turn the calendar's pages to `day`'s month (edited in place, no event), then press the day.
    Returns the number of page turns."""
    message = tg.last_keyboard()
    stored = await tg.count(InboxEvent)
    turns = 0
    while _month_of(message) != day.replace(day=1):
        assert turns < 13, "the calendar never showed the month"
        before = message.get("edits", 0)
        await tg.press("›", message)
        await eventually(functools.partial(_edited_since, tg, message["message_id"], before))
        message = next(m for m in tg.fake.sent(CHAT_ID) if m["message_id"] == message["message_id"])
        turns += 1
    # Page turns answered the button and stored nothing.
    assert await tg.count(InboxEvent) == stored
    await tg.press(str(day.day), message)
    return turns


def _edited_since(tg: TelegramHarness, message_id: int, before: int) -> bool:
    return int(tg.fake.messages[message_id].get("edits", 0)) > before


def _month_of(message: dict[str, Any]) -> dt.date | None:
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            press = callbacks.parse(b["callback_data"])
            if isinstance(press, callbacks.DayPress):
                return press.day.replace(day=1)
    return None


@pytest.mark.parametrize("polling", [False, True], ids=["webhook", "polling"])
async def test_a_full_booking_change(settings: Settings, polling: bool) -> None:
    await seed(settings.database_url)
    async with telegram_app(settings, polling=polling) as tg:
        await tg.deliver(
            update_from("start_payload", update_id=tg.new_id(), text="/start", date=now(), language_code="en")
        )
        await tg.settled()
        assert "Change a booking" in keyboard_texts(tg.last_keyboard())
        menu = tg.last_keyboard()
        await tg.press("Change a booking", menu)
        await tg.settled()
        # The pressed menu now shows the choice, inert.
        assert keyboard_texts(tg.fake.messages[menu["message_id"]]) == ["✓ Change a booking"]

        await tg.press("I agree")
        await tg.settled()
        await tg.text(REFERENCE)
        await tg.settled()
        await tg.text(BIRTH.isoformat())
        await tg.settled()
        assert "Thank you, I found your booking: this chat is now linked to it." in tg.fake.texts(CHAT_ID)

        # The date picker is a calendar; choose a day next month (a page turn first).
        today = dt.datetime.now(JST).date()
        wanted = (today.replace(day=1) + dt.timedelta(days=40)).replace(day=15)
        assert await press_day(tg, wanted) == 1
        await tg.settled()
        await tg.press("Continue")
        await tg.settled()
        await tg.press("Morning")
        await tg.settled()
        await tg.press("No note")
        await tg.settled()
        confirm = tg.last_keyboard()
        assert keyboard_texts(confirm)[0] == "Yes, send it"
        await tg.press("Yes, send it", confirm)
        await tg.settled()
        assert tg.fake.texts(CHAT_ID)[-2].startswith("Your change request has been sent.")

        # The same confirmation pressed again from a stale copy of the keyboard: answered, nothing twice.
        await tg.press("Yes, send it", confirm)
        await tg.settled()

        async with tg.db.read() as s:
            requests = (await s.execute(select(Request))).scalars().all()
            tickets = (await s.execute(select(Ticket))).scalars().all()
        assert len(requests) == 1 and len(tickets) == 1
        assert requests[0].kind == "change"
        assert requests[0].details["preferred_dates"] == [wanted.isoformat()]
        assert requests[0].details["time_of_day"] == "morning"
        # Every press was answered, and every keyboard message stayed within the API's limits.
        answered = {c.params["callback_query_id"] for c in tg.fake.calls_of("answerCallbackQuery")}
        assert set(tg.presses) <= answered
        assert tg.fake.calls_of("editMessageReplyMarkup")
