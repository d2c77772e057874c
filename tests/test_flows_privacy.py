"""Privacy through the web chat: the policy in short; a request about one's data only after the
identity check, then a data request and a ticket."""

from __future__ import annotations

from bot.config import Settings
from storage.models import Request, Ticket
from tests.dialogs.webchat import chat, seed


async def test_a_deletion_request_after_the_identity_check(settings: Settings) -> None:
    await seed(settings, ("PV-1", "treatment", 8, 14, 40_000))
    async with chat(settings) as c:
        await c.press("privacy")
        assert "Our privacy policy in short" in c.text()
        await c.press("delete")
        assert await c.count(Request) == 0
        await c.link("PV-1")
        assert "Shall I send a request to delete your personal data?" in c.text()
        await c.press("send")
        assert "confirm it is really you" in c.text()
        [request] = await c.requests()
        assert request.kind == "data" and request.details["action"] == "delete"
        assert request.customer_id is not None
        assert await c.count(Ticket, Ticket.request_id == request.id) == 1


async def test_no_data_request_without_the_identity_check(settings: Settings) -> None:
    async with chat(settings) as c:
        await c.say("I want to see my personal data")
        await c.press("see")
        await c.press("consent_no")
        assert "Without confirming who you are" in c.text()
        assert await c.count(Request) == 0
