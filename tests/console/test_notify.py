"""The optional post of each new ticket to the agents' Telegram group (against the fake Bot API)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update

from bot.config import Settings
from bot.events import ChoiceIn, FollowIn
from storage.models import Ticket
from tests.console.support import running
from tests.fakes.telegram_api import run_fake_telegram
from tests.support.collecting import event
from tests.support.wait import eventually

GROUP = "-1001234567890"


async def test_each_new_ticket_is_posted_once_without_personal_data(
    sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with run_fake_telegram() as fake:
        settings = settings_for(
            sqlite_url,
            telegram_bot_token=fake.token,
            telegram_api_base=fake.base_url,
            telegram_agents_chat_id=GROUP,
            public_url="https://chat.agency.example",
        )
        async with running(settings) as app:
            await app.engine.handle(event("visitor", FollowIn(), locale_hint="ko", display_name="Kim Minji"))
            await app.engine.handle(event("visitor", ChoiceIn("human")))
            await eventually(lambda: len(fake.texts(GROUP)) == 1)
            # More news about the same ticket (the customer writes while waiting): no second post.
            await app.engine.handle(event("visitor", "hello? my phone is 010-1234-5678"))
            async with app.db.write() as s:
                await s.execute(update(Ticket).values(priority="urgent"))
            await app.engine.bus.publish("tickets", {"ticket_id": 1})
            await app.engine.handle(event("other", FollowIn(), locale_hint="en"))
            await app.engine.handle(event("other", ChoiceIn("human")))
            await eventually(lambda: len(fake.texts(GROUP)) == 2)
    first, second = fake.texts(GROUP)
    assert first == (
        "New ticket #1: Asked for a person\n한국어 · webchat\nhttps://chat.agency.example/console/conversations/1"
    )
    assert second.startswith("New ticket #2: Asked for a person\nEnglish · webchat")
    assert "Kim" not in first and "010" not in first


async def test_an_urgent_ticket_outside_hours_is_marked_on_call_and_mentions_the_person(
    sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    import datetime as dt

    from bot import hours
    from storage.repositories import conversations
    from storage.repositories import hours as hours_repo
    from storage.repositories.tickets import open_ticket

    async with run_fake_telegram() as fake:
        settings = settings_for(
            sqlite_url,
            telegram_bot_token=fake.token,
            telegram_api_base=fake.base_url,
            telegram_agents_chat_id=GROUP,
            oncall_telegram="@oncall_aiko",
        )
        async with running(settings) as app:
            today = dt.datetime.now(hours.JST).date()
            async with app.db.write() as s:
                for weekday in range(7):
                    await hours_repo.set_weekday(s, weekday, [(9 * 60, 18 * 60)])
                await hours_repo.set_override(s, today, False, "test", dt.datetime.now(dt.UTC))
            async with app.db.write() as s:
                ident = await conversations.identity_for(s, "webchat", "visitor")
                conv = await conversations.lock_conversation(s, "webchat", "visitor", ident.id)
                ticket = await open_ticket(s, conv.id, "special", "urgent")
            await app.engine.bus.publish("tickets", {"ticket_id": ticket.id})
            await eventually(lambda: len(fake.texts(GROUP)) == 1)
    (text,) = fake.texts(GROUP)
    assert text.startswith(f"URGENT · ON CALL @oncall_aiko New ticket #{ticket.id}: ")
