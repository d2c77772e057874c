"""Booking changes through the web chat: preferred dates, time of day and a note become a request a
person confirms; an online consultation after two no-shows goes to a person."""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from storage.models import Request, Ticket
from tests.dialogs.webchat import chat, jst_today, seed


async def test_a_change_is_a_request_until_a_person_confirms_it(settings: Settings) -> None:
    ids = await seed(settings, ("CH-TREAT", "treatment", 10, 14, 40_000))
    async with chat(settings) as c:
        await c.press("booking_change")
        await c.link("CH-TREAT")
        assert "Which new date would you like?" in c.text()
        first, second = jst_today() + dt.timedelta(days=14), jst_today() + dt.timedelta(days=16)
        await c.pick(first)
        assert c.options() == ["dates_done", "menu"]
        await c.say(second.isoformat())
        await c.press("dates_done")
        assert "Which time of day suits you best?" in c.text()
        await c.say("afternoon")
        await c.say("I will be in Osaka that week.")
        said = c.text()
        assert (
            "Your change request: Treatment" in said
            and "(CH-TREAT), new date" in said
            and "Afternoon" in said
        )
        await c.press("send")
        assert "It is a request until a person from our team confirms the new date" in c.text()
        [request] = await c.requests()
        assert (request.kind, request.booking_id) == ("change", ids["CH-TREAT"])
        assert request.details["preferred_dates"] == [first.isoformat(), second.isoformat()]
        assert request.details["time_of_day"] == "afternoon"
        assert request.details["note"] == "I will be in Osaka that week."
        assert await c.count(Ticket, Ticket.request_id == request.id) == 1


async def test_an_online_consultation_after_two_no_shows_goes_to_a_person(settings: Settings) -> None:
    await seed(settings, ("CH-ONLINE", "online_consultation", 1, 11, 8_000), no_shows=2)
    async with chat(settings) as c:
        await c.say("I need to reschedule")
        await c.link("CH-ONLINE")
        assert "arranged by a person from our team" in c.text()
        assert await c.mode() == "queued"
        [ticket] = await c.tickets()
        assert ticket.reason == "change" and "2 recorded no-shows" in (ticket.summary or "")
        assert await c.count(Request) == 0
        await c.say("hello?", answered=False)
        await c.say("menu")
        assert "How can I help you?" in c.text() and await c.mode() == "bot"
