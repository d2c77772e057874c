"""Late arrival through the web chat: the notice is recorded and the agents alerted at once; from
30 minutes the customer hears it may count as a no-show and can change the booking or ask a person."""

from __future__ import annotations

from bot.config import Settings
from storage.models import Request, Ticket
from tests.dialogs.webchat import chat, seed


async def test_typed_minutes_are_recorded_with_an_urgent_ticket_and_a_no_show_warning(
    settings: Settings,
) -> None:
    ids = await seed(
        settings, ("LT-TODAY", "treatment", 0, 23, 40_000), ("LT-LATER", "surgery", 5, 10, 90_000)
    )
    async with chat(settings) as c:
        await c.say("I'm running about 45 minutes late")
        await c.link("LT-TODAY")
        said = c.text()
        assert "I've alerted our team at once" in said and "Expected arrival: about" in said
        assert "may be treated as a no-show cancellation" in said
        assert c.options() == ["change", "human", "on_my_way"]
        [request] = await c.requests()
        assert (request.kind, request.booking_id) == ("late", ids["LT-TODAY"]), "today's booking first"
        assert request.details["minutes_late"] == 45 and request.details["may_be_no_show"] is True
        [ticket] = await c.tickets()
        assert ticket.priority == "urgent" and ticket.request_id == request.id
        await c.press("change")
        assert "Which new date would you like?" in c.text()


async def test_a_short_delay_is_recorded_without_the_warning(settings: Settings) -> None:
    await seed(settings, ("LT-SHORT", "consultation", 0, 23, 5_000))
    async with chat(settings) as c:
        await c.press("late_arrival")
        await c.link("LT-SHORT")
        assert "How late do you think you will be?" in c.text()
        await c.press("m10")
        assert "no-show" not in c.text() and "How can I help you?" in c.text()
        [request] = await c.requests()
        assert request.details["minutes_late"] == 10
        assert await c.count(Ticket, Ticket.priority == "urgent") == 1
        assert await c.count(Request) == 1
