"""Special circumstances through the web chat: recorded with the contact time before or after the
appointment start, an urgent ticket, no promise of a waiver, and a person takes over."""

from __future__ import annotations

from bot.config import Settings
from tests.dialogs.webchat import chat, seed


async def test_sudden_illness_is_recorded_before_the_start_and_a_person_takes_over(
    settings: Settings,
) -> None:
    ids = await seed(
        settings, ("SP-SURG", "surgery", 2, 10, 120_000), ("SP-TREAT", "treatment", 6, 15, 30_000)
    )
    async with chat(settings) as c:
        await c.say("I have a high fever and can't come")
        await c.link("SP-SURG")
        await c.press(f"b{ids['SP-SURG']}")
        said = c.text()
        assert "What happened?" not in said, "the fever was said up front: not asked again"
        assert "before your appointment started" in said
        assert "the fee may be waived" in said and "I can't promise it here" in said
        assert "passed this to our team as urgent" in said
        [request] = await c.requests()
        assert (request.kind, request.booking_id) == ("special", ids["SP-SURG"])
        assert request.details["contacted_before_start"] is True and request.details["category"] == "illness"
        assert request.details["first_message"] == "I have a high fever and can't come"
        [ticket] = await c.tickets()
        assert ticket.priority == "urgent" and ticket.request_id == request.id
        assert await c.mode() == "queued"
        await c.say("are you there?", answered=False)
        assert len(await c.requests()) == 1
