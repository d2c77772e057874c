"""Satisfaction on every channel, end to end: a customer asks for a person, an agent claims and resolves
the ticket in the real console, the bot asks for a rating (LINE quick replies, a Telegram inline
keyboard, web chat buttons), the press and a comment are stored with the ticket and its agent; a second
press changes nothing, and no second question comes within a day."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from storage.db import Database
from storage.models import CsatSurvey, Ticket
from tests.console.support import add_agent, agent_id, signed_in
from tests.dialogs.webchat import chat
from tests.fakes.line_api import event_from
from tests.fakes.telegram_api import CHAT_ID, telegram_app
from tests.support.wait import eventually
from tests.test_line_e2e import USER, line_bot  # noqa: F401 - the fixture

QUESTION = "How satisfied are you with the help you received from our team?"
STALE = (
    "Thank you — that rating was already received, or belongs to an earlier question. Nothing was changed."
)


async def _open_ticket(db: Database) -> int:
    async def found() -> int | None:
        async with db.read() as s:
            return await s.scalar(select(Ticket.id).where(Ticket.status == "open").order_by(Ticket.id.desc()))

    return int(await eventually(found))


async def resolve_in_console(base: str, db: Database, email: str) -> int:
    """The agent claims the newest open ticket and resolves it ("done") through the console."""
    ticket_id = await _open_ticket(db)
    async with signed_in(base, email) as agent:
        assert (await agent.post_json(f"/console/tickets/{ticket_id}/claim")).status_code == 200
        assert (
            await agent.post(f"/console/tickets/{ticket_id}/resolve", {"outcome": "done"})
        ).status_code == 303
    return ticket_id


async def survey(db: Database, ticket_id: int) -> CsatSurvey | None:
    async with db.read() as s:
        return await s.scalar(select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id))


async def test_csat_on_line(db_url: str, line_bot: Any) -> None:  # noqa: F811
    async with line_bot(db_url) as bot:
        await add_agent(bot.db, "ann@agency.example", "Ann")
        await bot.send(bot.text("I want to talk to a person"))
        ticket = await resolve_in_console(str(bot.http.base_url), bot.db, "ann@agency.example")
        await bot.fake.wait_for(lambda: any(QUESTION in t for t in bot.fake.texts(USER)))
        asked = [m for m in bot.fake.messages(USER) if m.get("text", "").startswith(QUESTION)][-1]
        actions = [i["action"] for i in asked["quickReply"]["items"]]
        assert [a["type"] for a in actions] == ["postback"] * 5
        five = next(a for a in actions if a["displayText"].startswith("5"))
        one = next(a for a in actions if a["displayText"].startswith("1"))
        sent = len(bot.fake.texts(USER))
        await bot.send(event_from("postback", user_id=USER, postback__data=five["data"]))
        await bot.fake.wait_for(lambda: len(bot.fake.texts(USER)) > sent)
        await eventually(bot.outbox_settled)
        # The same question's other button, pressed later: stale, the first answer stands.
        sent = len(bot.fake.texts(USER))
        await bot.send(event_from("postback", user_id=USER, postback__data=one["data"]))
        await bot.fake.wait_for(lambda: len(bot.fake.texts(USER)) > sent)
        assert STALE in "\n".join(bot.fake.texts(USER)[sent:])
        await bot.send(bot.text("Ann was quick and kind"))
        await eventually(bot.outbox_settled)
        found = await survey(bot.db, ticket)
        assert found is not None
        assert (found.rating, found.comment) == (5, "Ann was quick and kind")
        assert found.agent_id == await agent_id(bot.db, "ann@agency.example")


async def test_csat_on_telegram(settings: Settings) -> None:
    async with telegram_app(settings) as tg:
        await add_agent(tg.db, "ann@agency.example", "Ann")
        await tg.text("I want to talk to a person")
        await tg.settled()
        ticket = await resolve_in_console(str(tg.http.base_url), tg.db, "ann@agency.example")
        await eventually(lambda: QUESTION in tg.fake.texts(CHAT_ID))
        await tg.settled()
        question = tg.last_keyboard()
        labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
        assert len(labels) == 5 and labels[0].startswith("1") and labels[4].startswith("5")
        await tg.press(labels[3], question)  # 4
        await tg.settled()
        await tg.press(labels[0], question)  # the same keyboard again: stale
        await tg.settled()
        assert STALE in tg.fake.texts(CHAT_ID)
        await tg.press("Skip")
        await tg.settled()
        found = await survey(tg.db, ticket)
        assert found is not None and (found.rating, found.comment) == (4, None)
        assert found.agent_id == await agent_id(tg.db, "ann@agency.example")


async def test_csat_on_the_web_chat_typed_and_once_a_day(
    db_url: str, settings_for: Callable[..., Settings]
) -> None:
    settings = settings_for(db_url)
    async with chat(settings) as c:
        base = str(c.http.base_url)
        await add_agent(c.db, "ann@agency.example", "Ann")
        await c.say("I want to talk to a person")
        first = await resolve_in_console(base, c.db, "ann@agency.example")
        c.last = await eventually(c._new_replies)
        assert QUESTION in c.text(), c.text()
        assert len([o for o in c.options() if o.startswith("rate:")]) == 5
        await c.say("５")  # a full-width five, typed
        assert "Write it here, or choose “Skip”" in c.text()
        await c.say("I need to cancel")  # a new request instead of a comment: the bot handles it
        found = await survey(c.db, first)
        assert found is not None and (found.rating, found.comment) == (5, None)
        # A second ticket the same day: resolved, but no second question.
        await c.say("I want to talk to a person")
        await resolve_in_console(base, c.db, "ann@agency.example")
        c.last = await eventually(c._new_replies)
        assert QUESTION not in c.text() and "How can I help you?" in c.text()
        async with c.db.read() as s:
            assert len((await s.execute(select(CsatSurvey))).scalars().all()) == 1
